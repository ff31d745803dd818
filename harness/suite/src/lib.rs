//! The AIWAH OS conformance suite: typed async clients for the platform's services, the cucumber
//! World and step definitions of `features/*.feature`, and the libtest runner nextest drives. The
//! deployment it runs against, its tiers and reports come from `aiwah-harness`.

pub mod clients;
pub mod runner;
pub mod steps;
