//! Secrets: the `.env` template, generated values and API keys, and the scan for demo secrets.

pub mod demo;
pub mod dotenv;
pub mod envfile;
pub mod keys;
pub mod n8n_api;
pub mod random;
pub mod role;
pub mod template;

pub use envfile::{EnvReport, ensure, masked, rotate, rotation_warning};
pub use role::Role;
pub use template::Template;
