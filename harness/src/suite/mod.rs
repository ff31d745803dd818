//! The conformance suite: Gherkin scenarios from `features/`, one libtest trial each, run by
//! cucumber against one shared ephemeral deployment, with honest tiers and per-run reports.

pub mod catalog;
pub mod hold;
pub mod report;
pub mod shared;
pub mod target;
pub mod target_setup;
pub mod tiers;
