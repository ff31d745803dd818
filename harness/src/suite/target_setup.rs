//! The setup script and holder in target mode: nothing is started. The setup script checks the
//! target file (and the deployment its `[docker]` names), gives the run its id, lists what is
//! skipped or not applicable, and starts a holder that only waits for nextest to end and then
//! merges the run's reports, as the holder of an ephemeral copy does.

use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::engine::sweep;
use crate::problem::{Problem, Result};
use crate::suite::hold::{self, HoldArgs};
use crate::suite::shared::{self, Suite};
use crate::suite::target::{self, Target};
use crate::suite::{catalog, report};

/// Setup-script side in target mode.
pub fn setup(root: &Path, target: Target, exe: &Path, holder_args: &[&str]) -> Result<()> {
    // A run id given to the setup script (CI correlating runs, tests) is kept; else a fresh one.
    let run = target::run_id();
    let docker_context = target.docker.as_ref().map(|d| d.context.clone());
    let file = target.file.display().to_string();
    let suite = Suite::from_target(root, target)?;
    let watched = hold::nextest_pid().unwrap_or_else(std::os::unix::process::parent_id);
    let watch = sweep::run_of(watched).ok_or_else(|| Problem::new(format!("process {watched}"), "is gone: no run to report for"))?;
    let reports = root.join("target/conformance").join(format!("target-{run}"));
    std::fs::create_dir_all(&reports).map_err(|e| Problem::new(reports.display().to_string(), format!("cannot create: {e}")))?;
    let latest = root.join("target/conformance/latest");
    let _ = std::fs::remove_file(&latest);
    let _ = std::os::unix::fs::symlink(&reports, &latest);
    hold::spawn_holder(exe, holder_args, &watch, &reports, &reports.join("holder.log"))?;
    let cases = catalog::load(root)?;
    let skipped: Vec<String> = cases.iter().filter_map(|c| Some(format!("  skipped: {} — {}", c.name, suite.tiers.skip_reason(c)?))).collect();
    println!(
        "conformance: target mode against {file}, run {run}: nothing started; {} scenarios, {} skipped or not applicable; reports in {}",
        cases.len(),
        skipped.len(),
        reports.display()
    );
    for line in &skipped {
        println!("{line}");
    }
    if let Some(env_file) = std::env::var_os("NEXTEST_ENV") {
        let mut out = std::fs::OpenOptions::new().append(true).open(&env_file).map_err(|e| Problem::new("NEXTEST_ENV", format!("cannot open: {e}")))?;
        let mut vars = format!("{}={}\n{}={run}\n", shared::REPORTS_ENV, reports.display(), target::RUN_ENV);
        if let Some(context) = docker_context {
            // The scenario processes' docker calls go to the target's engine.
            vars += &format!("DOCKER_CONTEXT={context}\n");
        }
        out.write_all(vars.as_bytes()).map_err(|e| Problem::new("NEXTEST_ENV", format!("cannot write: {e}")))?;
    }
    Ok(())
}

/// Holder side in target mode: wait for the run to end, then merge its reports.
pub fn hold(root: &Path, target: Target, args: &HoldArgs) -> Result<()> {
    let started = Instant::now();
    let tiers = Suite::from_target(root, target)?.tiers;
    eprintln!("holder: target mode, nothing to start; waiting for {} to end", args.watch);
    while sweep::run_is_alive(&args.watch) {
        std::thread::sleep(Duration::from_secs(1));
    }
    let cases = catalog::load(root)?;
    match report::finish(&args.reports, &cases, &tiers) {
        Ok(summary) => eprintln!("holder: run over after {:.1} s\n{summary}", started.elapsed().as_secs_f64()),
        Err(problem) => eprintln!("holder: {problem}"),
    }
    Ok(())
}
