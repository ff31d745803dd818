//! The conformance runner behind `harness/tests/conformance.rs`: speaks libtest's protocol (what
//! nextest lists and runs) with one trial per scenario, and runs each trial through cucumber.
//! Scenarios whose images are placeholders here are listed as ignored — nextest reports them as
//! skipped, never passed; forced to run (`--run-ignored`), they fail naming the missing image.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use libtest_mimic::{Arguments, Failed, Trial};

use aiwah_harness::engine::Source;
use aiwah_harness::engine::deployment::Handle;
use aiwah_harness::suite::catalog::{self, Case};
use aiwah_harness::suite::shared::{self, Suite};
use aiwah_harness::suite::tiers::Tiers;

/// Name of the trial that checks every step of every feature (run or skipped) has one definition.
pub const STEPS_CHECK: &str = "conformance::every step of every scenario has exactly one definition";

/// The suite this process uses: attached (nextest) or started here (standalone), on first need.
static SUITE: Mutex<Option<Arc<Suite>>> = Mutex::new(None);

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
    // Under a run's shared deployment, scenario processes take the tiers of the deployment they
    // attach to (no second resolution of the image plan); listing never needs a deployment.
    let attached = (!args.list && std::env::var_os(shared::HANDLE_ENV).is_some()).then(|| suite(&root).ok()).flatten();
    let tiers = attached.map_or_else(|| planned_tiers(&root), |suite| suite.tiers.clone());
    let mut trials = vec![Trial::test(STEPS_CHECK, {
        let cases = cases.clone();
        move || crate::steps::check_definitions(&cases).map_err(Failed::from)
    })];
    for case in cases {
        let skip = tiers.skip_reason(&case).is_some();
        let root = root.clone();
        trials.push(Trial::test(case.name.clone(), move || run_case(&root, &case)).with_ignored_flag(skip));
    }
    let conclusion = libtest_mimic::run(&args, trials);
    // A deployment this process started goes with it (attached ones belong to their holder).
    drop(SUITE.lock().unwrap_or_else(|e| e.into_inner()).take());
    conclusion.exit()
}

/// What the suite deployment runs (or would run), decided the same way the deployment decides it,
/// so that the list nextest sees matches what runs. Unknown (no engine): nothing is skipped and
/// scenarios fail with the engine's error instead.
fn planned_tiers(root: &std::path::Path) -> Tiers {
    let source = match std::env::var_os(shared::HANDLE_ENV) {
        Some(file) => std::fs::read_to_string(&file).ok().and_then(|t| serde_json::from_str::<Handle>(&t).ok()).and_then(|h| Source::parse(&h.source).ok()),
        None => Source::from_env().ok(),
    };
    source.and_then(|s| Tiers::resolve(root, &s).ok()).unwrap_or_default()
}

fn suite(root: &std::path::Path) -> Result<Arc<Suite>, String> {
    let mut slot = SUITE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(suite) = slot.as_ref() {
        return Ok(suite.clone());
    }
    let suite = match std::env::var_os(shared::HANDLE_ENV) {
        Some(file) => Suite::attach(std::path::Path::new(&file)),
        None => {
            eprintln!("conformance: no shared deployment ({} unset): starting one for this process", shared::HANDLE_ENV);
            Source::from_env().and_then(|source| Suite::start(root, &source, &shared::STACKS, &|line| eprintln!("  {line}")))
        }
    }
    .map_err(|p| p.to_string())?;
    let suite = Arc::new(suite);
    *slot = Some(suite.clone());
    Ok(suite)
}

fn run_case(root: &std::path::Path, case: &Case) -> Result<(), Failed> {
    let suite = suite(root)?;
    if let Some(reason) = suite.tiers.skip_reason(case) {
        return Err(format!("not run: {reason}; a scenario whose software did not run never passes").into());
    }
    for substitute in suite.tiers.substitutes(&case.needs) {
        println!("runs against a substitute: {substitute}");
    }
    let report = aiwah_harness::suite::report::scenario_file(&shared::reports_dir(root), &case.name);
    match crate::steps::run_scenario(suite.clone(), case, &report) {
        Ok(()) => Ok(()),
        Err(failure) => {
            // The logs of the services the scenario needs travel with its failure.
            for (stack, service) in suite.services_of(&case.needs) {
                let logs = suite.deployment.logs(&stack, &service, 60).unwrap_or_else(|p| format!("(no logs: {p})\n"));
                eprintln!("----- logs of {stack}/{service} (last 60 lines) -----\n{logs}");
            }
            Err(failure.into())
        }
    }
}
