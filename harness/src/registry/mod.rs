//! Container registries: a client of the OCI Distribution API (tags, manifest digests, anonymous
//! tokens) and a real local registry for tests (Debian's `docker-registry`, distribution 2.8).

pub mod client;
pub mod dates;
pub mod local;
pub mod policy;
pub mod reference;
pub mod token;
pub mod versions;

pub use client::{Failure, ManifestHead, RegistryClient, RegistryError};
pub use reference::{Endpoint, ImageRef};
