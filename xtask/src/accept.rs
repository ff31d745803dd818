//! `cargo xtask accept`: sign off a release. Runs the whole test suite (nextest's `ci` profile, the
//! conformance scenarios included, ignored ones too) and refuses when any scenario cannot run for
//! real here — a skipped scenario is not a passed one.

use std::path::Path;
use std::process::Command;

use aiwah_harness::engine::Source;
use aiwah_harness::suite::{catalog, tiers::Tiers};
use aiwah_harness::{Problem, Problems};

#[derive(clap::Args)]
pub struct Args {}

pub fn run(root: &Path, _args: Args) -> Result<(), Problems> {
    crate::deploy::require_engine()?;
    let cases = catalog::load(root)?;
    let tiers = Tiers::resolve(root, &Source::from_env()?)?;
    // A scenario that only observes a placeholder (skipped when the real service runs, which the
    // scenarios needing it then prove) does not block; one whose own software is missing does.
    let skipped: Vec<Problem> = cases
        .iter()
        .filter(|c| tiers.missing(&c.needs).next().is_some())
        .filter_map(|c| Some(Problem::new(format!("scenario {}", c.name), tiers.skip_reason(c)?)))
        .collect();
    if !skipped.is_empty() {
        eprintln!("accept: {} of {} scenarios cannot run here; a release is signed off only when every one runs:", skipped.len(), cases.len());
        let hint = Problem::new("accept", "refused")
            .hint("put the official images on this engine (cargo xtask images pull, or AIWAH_REGISTRY_MIRROR) and run it again");
        return Err(Problems(skipped.into_iter().chain([hint]).collect()));
    }
    let substitutes: Vec<String> = cases.iter().flat_map(|c| tiers.substitutes(&c.needs)).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    for s in &substitutes {
        eprintln!("accept: note: runs against a substitute: {s}");
    }
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["nextest", "run", "--profile", "ci", "--run-ignored", "all", "--no-fail-fast"])
        .current_dir(root)
        .status()
        .map_err(|e| Problem::new("cargo nextest", format!("cannot run: {e}")).hint("cargo install cargo-nextest"))?;
    if !status.success() {
        return Err(Problem::new("accept", format!("the suite failed ({status}); nothing is signed off"))
            .hint("reports: target/nextest/ci/junit.xml and target/conformance/latest/")
            .into());
    }
    println!(
        "accepted: {} scenarios passed{}; reports in target/conformance/latest/",
        cases.len(),
        if substitutes.is_empty() { " against official images".to_string() } else { format!(" ({} substitutes, listed above)", substitutes.len()) }
    );
    Ok(())
}
