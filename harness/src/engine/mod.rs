//! Running the stacks on a Docker engine: image plans (which tier each service runs at), the compose
//! overrides a deployment layers on the stack files, deployments (up, wait, down), sweeping what dead
//! runs left behind, and live isolation probes.

pub mod deployment;
pub mod docker;
pub mod migrate;
pub mod overrides;
pub mod plan;
pub mod probe;
pub mod start;
pub mod sweep;
pub mod teardown;

pub use deployment::Deployment;
pub use overrides::Owner;
pub use plan::{Choice, ImagePlan, Source, Tier};
