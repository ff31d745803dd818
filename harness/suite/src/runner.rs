//! The conformance runner behind `harness/tests/conformance.rs`: speaks libtest's protocol (what
//! nextest lists and runs) with one trial per scenario, and runs each trial through cucumber.
//! Scenarios whose images are placeholders here are listed as ignored — nextest reports them as
//! skipped, never passed; forced to run (`--run-ignored`), they fail naming the missing image.
//!
//! Nextest lists the scenarios before its setup script starts the deployment, then runs each in
//! its own process (`--exact NAME`, plus `--ignored` for one it listed as ignored). A scenario
//! process takes the tiers from the deployment it attaches to (decided once, when the copy
//! started); when they disagree with how the scenario was listed, the scenario fails naming both.

mod self_check;
mod target_check;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use libtest_mimic::{Arguments, Failed, Trial};

use aiwah_harness::engine::Source;
use aiwah_harness::suite::catalog::{self, Case};
use aiwah_harness::suite::shared::{self, Suite};
use aiwah_harness::suite::target::{self, Target};
use aiwah_harness::suite::tiers::Tiers;

use crate::clients::http::take_placeholder_answers;

/// Name of the trial that checks every step of every feature (run or skipped) has one definition.
pub const STEPS_CHECK: &str = "conformance::every step of every scenario has exactly one definition";

/// The suite this process uses: attached (nextest) or started here (standalone), on first need.
static SUITE: Mutex<Option<Arc<Suite>>> = Mutex::new(None);

/// How the scenarios of this process were listed: the verdict each one carries into its run.
enum Listing {
    /// From tiers: predicted from the engine's images (listing, standalone runs) or the deployment's.
    Tiers(Tiers),
    /// Whoever listed the scenarios earlier now runs one (`--exact NAME`); `--ignored` says it
    /// listed it as ignored. That flag is the only trace of the listing in this process.
    Caller { ignored: bool },
}

impl Listing {
    fn of(args: &Arguments, root: &Path) -> Listing {
        let handle = std::env::var_os(shared::HANDLE_ENV).map(PathBuf::from);
        // Target mode: listed and run against the target file's platform (nothing started).
        if handle.is_none() && std::env::var_os(target::TARGET_ENV).is_some_and(|v| !v.is_empty()) {
            return match args.exact && args.filter.is_some() && !args.list {
                true => Listing::Caller { ignored: args.ignored },
                false => Listing::Tiers(suite(root).map(|s| s.tiers.clone()).unwrap_or_default()),
            };
        }
        match handle {
            Some(file) if args.list => Listing::Tiers(shared::handle_tiers(root, &file).unwrap_or_default()),
            Some(_) if args.exact && args.filter.is_some() => Listing::Caller { ignored: args.ignored },
            Some(_) => Listing::Tiers(suite(root).map(|s| s.tiers.clone()).unwrap_or_default()),
            None => Listing::Tiers(predicted_tiers(root)),
        }
    }

    fn skips(&self, case: &Case) -> bool {
        match self {
            Listing::Tiers(tiers) => tiers.skip_reason(case).is_some(),
            Listing::Caller { ignored } => *ignored,
        }
    }
}

pub fn main() -> ! {
    let args = Arguments::from_args();
    let root = std::env::var_os(shared::ROOT_ENV).map(PathBuf::from).unwrap_or_else(aiwah_harness::repo::this_checkout);
    let cases = match catalog::load(&root) {
        Ok(cases) => cases,
        Err(problem) => {
            eprintln!("{problem}");
            std::process::exit(2);
        }
    };
    let listing = Listing::of(&args, &root);
    let mut trials = vec![Trial::test(STEPS_CHECK, {
        let cases = cases.clone();
        move || crate::steps::check_definitions(&cases).map_err(Failed::from)
    })];
    trials.extend(self_check::trials(&root, &cases));
    trials.extend(target_check::trials(&cases));
    for case in cases {
        let listed_skip = listing.skips(&case);
        let root = root.clone();
        trials.push(Trial::test(case.name.clone(), move || run_case(&root, &case, listed_skip)).with_ignored_flag(listed_skip));
    }
    let conclusion = libtest_mimic::run(&args, trials);
    // A deployment this process started goes with it (attached ones belong to their holder).
    drop(SUITE.lock().unwrap_or_else(|e| e.into_inner()).take());
    conclusion.exit()
}

/// What a deployment started from `$AIWAH_IMAGE_SOURCE` would run, from the images on the engine
/// now (what nextest lists, before any deployment exists). Unknown (no engine): nothing is
/// skipped, and scenarios fail with the engine's error instead.
fn predicted_tiers(root: &Path) -> Tiers {
    Source::from_env().and_then(|source| Tiers::resolve(root, &source)).unwrap_or_default()
}

fn suite(root: &Path) -> Result<Arc<Suite>, String> {
    let mut slot = SUITE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(suite) = slot.as_ref() {
        return Ok(suite.clone());
    }
    let suite = match (std::env::var_os(shared::HANDLE_ENV), Target::from_env()) {
        (Some(file), _) => Suite::attach(Path::new(&file)).inspect(|_| record_attach_time(root)),
        (None, Err(problem)) => Err(problem),
        (None, Ok(Some(target))) => Suite::from_target(root, target),
        (None, Ok(None)) => {
            eprintln!("conformance: no shared deployment ({} unset): starting one for this process", shared::HANDLE_ENV);
            let stacks = shared::standalone_stacks();
            let stacks: Vec<&str> = stacks.iter().map(String::as_str).collect();
            Source::from_env().and_then(|source| Suite::start(root, &source, &stacks, &|line| eprintln!("  {line}")))
        }
    }
    .map_err(|p| p.to_string())?;
    let suite = Arc::new(suite);
    *slot = Some(suite.clone());
    Ok(suite)
}

/// Whether `case` may run against `suite`, given how it was listed: a difference either way
/// fails it, naming the listing's verdict and the deployment's tiers.
fn verdict(listed_skip: bool, suite: &Suite, case: &Case) -> Result<(), String> {
    let id = suite.id();
    let tiers = suite.tiers.describe(case.needs.iter().chain(&case.observes));
    match (listed_skip, suite.tiers.skip_reason(case)) {
        (false, None) => Ok(()),
        (false, Some(reason)) => Err(format!(
            "listed to run, but deployment {id} cannot run it: {reason} (its tiers: {tiers}); the tiers it was listed with are not the ones \
             that run — list the tests again"
        )),
        (true, None) => Err(format!(
            "listed as skipped (a placeholder among its images when the tests were listed), but deployment {id} runs it for real \
             ({tiers}); nothing was run — list the tests again"
        )),
        (true, Some(reason)) => Err(format!("not run: {reason}; a scenario whose software did not run never passes")),
    }
}

fn run_case(root: &Path, case: &Case, listed_skip: bool) -> Result<(), Failed> {
    let suite = suite(root)?;
    verdict(listed_skip, &suite, case)?;
    for substitute in suite.tiers.substitutes(&case.needs) {
        println!("runs against a substitute: {substitute}");
    }
    let report = aiwah_harness::suite::report::scenario_file(&shared::reports_dir(root), &case.name);
    // Only this scenario's answers count (standalone runs share the process between scenarios).
    take_placeholder_answers();
    let result = crate::steps::run_scenario(suite.clone(), case, &report);
    let placeholders: std::collections::BTreeSet<String> = take_placeholder_answers().into_iter().collect();
    match result {
        // Whatever the steps made of it, an answer from a placeholder proves nothing.
        Ok(()) if !placeholders.is_empty() => Err(format!(
            "a placeholder answered this scenario's clients ({}): its steps passed on answers no real service gave",
            placeholders.into_iter().collect::<Vec<_>>().join(", ")
        )
        .into()),
        Ok(()) => Ok(()),
        Err(failure) => {
            // The logs of the services the scenario needs travel with its failure.
            for (stack, service) in suite.services_of(&case.needs) {
                let logs = suite.deployment().and_then(|d| d.logs(&stack, &service, 60)).unwrap_or_else(|p| format!("(no logs: {p})\n"));
                eprintln!("----- logs of {stack}/{service} (last 60 lines) -----\n{logs}");
            }
            Err(failure.into())
        }
    }
}

/// Append how long this process took from exec to attached to the run's reports (the holder
/// summarises them in `timing.txt`).
fn record_attach_time(root: &Path) {
    let Some(ms) = since_exec_ms() else { return };
    let name = std::env::args().skip_while(|a| a != "--exact").nth(1).unwrap_or_else(|| "(several)".into());
    println!("attached to the suite deployment {ms} ms after this process started");
    let file = shared::reports_dir(root).join(aiwah_harness::suite::hold::ATTACH_TIMES);
    if let Ok(mut out) = std::fs::OpenOptions::new().create(true).append(true).open(file) {
        use std::io::Write as _;
        let _ = writeln!(out, "{ms} {name}");
    }
}

/// Milliseconds since this process was exec'd (kernel clock ticks: 10 ms resolution).
fn since_exec_ms() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let start_ticks: u64 = stat[stat.rfind(')')? + 2..].split_whitespace().nth(19)?.parse().ok()?;
    let uptime: f64 = std::fs::read_to_string("/proc/uptime").ok()?.split_whitespace().next()?.parse().ok()?;
    // CLK_TCK is 100 on Linux for every architecture this runs on.
    Some(((uptime - start_ticks as f64 / 100.0).max(0.0) * 1000.0) as u64)
}
