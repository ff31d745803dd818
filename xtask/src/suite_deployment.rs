//! `cargo xtask suite-deployment`: nextest's setup script for the conformance suite. Starts a
//! detached holder of one ephemeral copy, waits until it is healthy, and hands its handle to the
//! scenario processes through `$NEXTEST_ENV`. The holder removes the copy when nextest ends.

use std::path::{Path, PathBuf};

use aiwah_harness::Problems;
use aiwah_harness::suite::hold::{self, HoldArgs};

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
    crate::deploy::require_engine()?;
    if args.hold {
        let (Some(watch), Some(reports)) = (args.watch, args.reports) else {
            return Err(aiwah_harness::Problem::new("suite-deployment --hold", "needs --watch and --reports").into());
        };
        let source = aiwah_harness::engine::Source::from_env()?;
        return Ok(hold::hold(root, &source, &HoldArgs { watch, reports })?);
    }
    let exe = std::env::current_exe().map_err(|e| aiwah_harness::Problem::new("xtask", format!("cannot find its own executable: {e}")))?;
    Ok(hold::setup(root, &exe, &["suite-deployment", "--hold"])?)
}
