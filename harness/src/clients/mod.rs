//! Small typed clients the checks use.

pub mod browser;
pub mod bundle;
