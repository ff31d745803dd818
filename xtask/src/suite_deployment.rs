//! `cargo xtask suite-deployment`: nextest's setup script for the conformance suite. Starts a
//! detached holder of one ephemeral copy, waits until it is healthy, and hands its handle to the
//! scenario processes through `$NEXTEST_ENV`. The holder removes the copy when nextest ends.
//! In target mode (`AIWAH_TARGET`) it starts nothing: see `aiwah_harness::suite::target_setup`.

use std::path::{Path, PathBuf};

use aiwah_harness::Problems;
use aiwah_harness::suite::hold::{self, HoldArgs};
use aiwah_harness::suite::target::Target;
use aiwah_harness::suite::target_setup;

#[derive(clap::Args)]
pub struct Args {
    /// (Internal) be the holder: start the copy and hold it while the watched run lives.
    #[arg(long, hide = true)]
    hold: bool,
    /// (Internal) run id of the process whose end ends the copy.
    #[arg(long, hide = true)]
    watch: Option<String>,
    /// (Internal) the run's report folder.
    #[arg(long, hide = true)]
    reports: Option<PathBuf>,
}

pub fn run(root: &Path, args: Args) -> Result<(), Problems> {
    // Target mode (AIWAH_TARGET): the platform runs already; nothing is started here.
    let target = Target::from_env()?;
    if target.as_ref().is_none_or(|t| t.docker.is_some()) {
        crate::deploy::require_engine()?;
    }
    if args.hold {
        let (Some(watch), Some(reports)) = (args.watch, args.reports) else {
            return Err(aiwah_harness::Problem::new("suite-deployment --hold", "needs --watch and --reports").into());
        };
        let hold_args = HoldArgs { watch, reports };
        if let Some(target) = target {
            return Ok(target_setup::hold(root, target, &hold_args)?);
        }
        let source = aiwah_harness::engine::Source::from_env()?;
        return Ok(hold::hold(root, &source, &hold_args)?);
    }
    let exe = std::env::current_exe().map_err(|e| aiwah_harness::Problem::new("xtask", format!("cannot find its own executable: {e}")))?;
    match target {
        Some(target) => Ok(target_setup::setup(root, target, &exe, &["suite-deployment", "--hold"])?),
        None => Ok(hold::setup(root, &exe, &["suite-deployment", "--hold"])?),
    }
}
