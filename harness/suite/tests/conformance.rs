//! The conformance suite: one test per scenario of `features/*.feature` (see `aiwah_harness::suite`).
//! Under `cargo nextest run` the scenarios share the deployment nextest's setup script starts;
//! run alone (`cargo test --test conformance`) the binary starts and removes its own.

fn main() {
    aiwah_suite::runner::main()
}
