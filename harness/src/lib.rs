//! AIWAH OS harness: reads the platform's compose stacks into a typed model, proves their topology,
//! and manages the secrets they run with. `xtask` and the test targets are thin layers over it.

pub mod backup;
pub mod clock;
pub mod engine;
pub mod files;
pub mod gateway;
pub mod problem;
pub mod registry;
pub mod repo;
pub mod secrets;
pub mod stack;
pub mod suite;
pub mod testing;

pub use problem::{Problem, Problems, Result};
