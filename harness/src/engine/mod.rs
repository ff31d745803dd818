//! Running the stacks on a Docker engine: image plans (which tier each service runs at), the compose
//! overrides a deployment layers on the stack files, deployments (up, wait, down), sweeping what dead
//! runs left behind, and live isolation probes.

pub mod deployment;
pub mod docker;
pub mod migrate;
pub mod obtain;
pub mod overrides;
pub mod pins;
pub mod plan;
pub mod probe;
pub mod pull;
pub mod recipe;
pub mod start;
pub mod sweep;
pub mod teardown;

pub use deployment::Deployment;
pub use overrides::Owner;
pub use plan::{Choice, ImagePlan, Source, Tier};

/// FNV-1a 64 over `bytes`, as 16 hex digits: a cache key or edit detector (stable across toolchains,
/// unlike std's DefaultHasher), not a security boundary.
pub(crate) fn fnv1a_hex(bytes: impl IntoIterator<Item = u8>) -> String {
    let h = bytes.into_iter().fold(0xcbf29ce484222325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100000001b3));
    format!("{h:016x}")
}
