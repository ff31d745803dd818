//! Container registries: a real local registry for tests (Debian's `docker-registry`, distribution 2.8).

pub mod local;
