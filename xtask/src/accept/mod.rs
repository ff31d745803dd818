//! `cargo xtask accept`: sign off a release. Decides from the catalog and the tiers what must run
//! and refuses, before starting anything, when a scenario cannot run for real (or runs against a
//! substitute, unless allowed); starts the suite's deployment itself (so that it can record the
//! image each container runs and knows the secrets the bundle must not hold), runs the suite
//! through nextest against it, and writes a bundle in `target/acceptance/<time>/`, signed when a
//! key is given. `--verify DIR` checks a bundle.

mod bundle;
mod facts;
mod images;
mod nextest;
mod refusal;
mod results;
mod sign;
#[cfg(test)]
mod tests;
mod verify;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use aiwah_harness::engine::{ImagePlan, Source};
use aiwah_harness::secrets::Template;
use aiwah_harness::secrets::template::Item;
use aiwah_harness::stack::Manifest;
use aiwah_harness::suite::shared::{self, Suite};
use aiwah_harness::suite::tiers::Tiers;
use aiwah_harness::suite::{catalog, report};
use aiwah_harness::{Problem, Problems};

use nextest::Scope;
use refusal::Selection;
use results::{Bundle, Release, Results};

/// The target file the suite runs against instead of a deployment of its own (target mode).
const TARGET_ENV: &str = "AIWAH_TARGET";

#[derive(clap::Args)]
pub struct Args {
    /// Accept substitute images (PostgreSQL, n8n built from packages) instead of refusing; the bundle records it.
    #[arg(long)]
    allow_substitutes: bool,
    /// Check the bundle in DIR (signature with --pubkey, checksums, every scenario present and passed) instead of making one.
    #[arg(long, value_name = "DIR")]
    verify: Option<PathBuf>,
    /// The minisign public key `--verify` checks the signature with.
    #[arg(long, value_name = "FILE", requires = "verify")]
    pubkey: Option<PathBuf>,
    /// A target file (as AIWAH_TARGET): the suite runs against that platform; the bundle records it.
    #[arg(long, value_name = "FILE")]
    target: Option<PathBuf>,
}

pub fn run(root: &Path, args: Args) -> Result<(), Problems> {
    if let Some(dir) = &args.verify {
        return verify_command(dir, args.pubkey.as_deref());
    }
    let started = Instant::now();
    crate::deploy::require_engine()?;
    // A key that cannot be read fails now, not after the run.
    let key = sign::key_from_env()?;
    let cases = catalog::load(root)?;
    let target = args.target.clone().or_else(|| std::env::var_os(TARGET_ENV).filter(|v| !v.is_empty()).map(PathBuf::from));
    let source = Source::from_env()?;
    let manifest = Manifest::load(root)?;
    let plan = ImagePlan::resolve(root, &manifest, &source)?;
    let tiers = Tiers::from_plan(&manifest, &plan);
    // Target mode: the platform is not ours to resolve; the suite itself says what it cannot run there.
    let selection = if target.is_some() { Selection { run: cases.clone(), ..Selection::default() } } else { Selection::of(&cases, &tiers) };
    if let Some(refusal) = selection.refusal(args.allow_substitutes) {
        eprintln!("accept: a release is signed off only when every scenario runs for real; refused before starting anything:");
        return Err(refusal);
    }
    for (image, cases) in &selection.substitutes {
        eprintln!("accept: runs against a substitute (allowed): {image} ({} scenarios)", cases.len());
    }
    let features_override = std::env::var_os(catalog::FEATURES_ENV).is_some_and(|v| !v.is_empty());
    let scope = if features_override { Scope::Conformance } else { Scope::Workspace };
    let stamp = aiwah_harness::clock::Utc::now().compact();
    let reports = root.join("target/conformance").join(format!("accept-{stamp}"));
    std::fs::create_dir_all(&reports).map_err(|e| Problem::new(reports.display().to_string(), format!("cannot create: {e}")))?;

    let (suite, lock) = match &target {
        Some(_) => (None, images::ImagesLock::default()),
        None => {
            // Every image runs by digest (by image ID where built here): pinned once the images are
            // on the engine, before anything starts.
            let mut pins = None;
            let mut pin = |deployment: &mut aiwah_harness::engine::Deployment| {
                pins = Some(images::pin(deployment, args.allow_substitutes)?);
                Ok(())
            };
            let suite = Suite::start_with(root, &source, &shared::STACKS, &|line| eprintln!("  {line}"), &mut pin)?;
            let pins = pins.ok_or_else(|| Problem::new("accept", "the deployment started without its images pinned"))?;
            if suite.deployment()?.plan.by_official.iter().any(|(image, choice)| plan.choice(image) != Some(choice)) {
                return Err(Problem::new("accept", "the images on the engine changed while the deployment started; nothing is signed off").into());
            }
            let lock = images::lock(suite.deployment()?, &pins).map_err(|problems| {
                eprintln!("accept: a running container is not the image its pin names; nothing is signed off:");
                problems
            })?;
            (Some(suite), lock)
        }
    };
    let secrets = match &suite {
        Some(suite) => deployment_secrets(root, suite)?,
        None => Vec::new(),
    };
    let junit_file = root.join(NEXTEST_CI_JUNIT);
    let _ = std::fs::remove_file(&junit_file);
    let passed = run_suite(root, &selection, scope, suite.as_ref(), &reports, target.as_deref())?;
    report::finish(&reports, &cases, suite.as_ref().map(|s| &s.tiers).unwrap_or(&tiers))?;
    if let Some(mut deployment) = suite.and_then(Suite::into_deployment) {
        let _ = std::fs::remove_file(reports.join("handle.json"));
        deployment.down()?;
    }

    let junit = std::fs::read_to_string(&junit_file).map_err(|e| {
        Problem::new(junit_file.display().to_string(), format!("cannot read nextest's JUnit report: {e}"))
            .hint("did nextest start at all? see its output above")
    })?;
    let expected: Vec<String> = selection.run.iter().map(|c| c.name.clone()).collect();
    let results = Results::from_junit(&expected, &results::read_junit(&junit).map_err(|e| Problem::new(junit_file.display().to_string(), e))?);
    let (git_commit, git_dirty) = facts::git(root)?;
    let release = Release {
        created_utc: aiwah_harness::clock::Utc::now().rfc3339(),
        git_commit,
        git_dirty,
        harness_version: env!("CARGO_PKG_VERSION").to_string(),
        engine_version: facts::engine_version()?,
        compose_version: aiwah_harness::stack::Compose::locate()?.version,
        machine: facts::machine(),
        scope,
        features: aiwah_harness::repo::shown(root, &catalog::features_dir(root)),
        features_override,
        allow_substitutes: args.allow_substitutes,
        target: target.as_ref().map(|t| t.display().to_string()),
        secret_scan: format!("{} values of the deployment's generated secrets searched in every file: none found", secrets.len()),
        scenarios: expected,
        not_applicable: selection.observes_only.iter().filter_map(|c| Some(format!("{} — {}", c.name, tiers.skip_reason(c)?))).collect(),
    };
    let cucumber = std::fs::read_to_string(reports.join(results::CUCUMBER)).unwrap_or_else(|_| "[]".into());
    let dir = bundle::new_dir(root, &stamp);
    let all_passed = passed && results.all_passed();
    bundle::write(&dir, &Bundle { release, images: lock, junit, results, cucumber }, &secrets)?;
    if !all_passed {
        return Err(Problem::new("accept", format!("the suite did not pass; nothing is signed off (unsigned record in {})", dir.display()))
            .hint("reports: target/nextest/ci/junit.xml and the bundle's results.json")
            .into());
    }
    let signed = match &key {
        Some(key) => {
            let sums = std::fs::read(dir.join(results::SUMS)).map_err(|e| Problem::new(results::SUMS, e.to_string()))?;
            let signature = sign::sign(key, &sums, &stamp)?;
            std::fs::write(dir.join(results::SIGNATURE), signature).map_err(|e| Problem::new(results::SIGNATURE, e.to_string()))?;
            "signed"
        }
        None => "unsigned (no AIWAH_SIGNING_KEY_FILE)",
    };
    println!(
        "accepted: {} scenarios passed in {:.0} s; bundle {} ({signed})",
        selection.run.len(),
        started.elapsed().as_secs_f64(),
        aiwah_harness::repo::shown(root, &dir)
    );
    Ok(())
}

fn verify_command(dir: &Path, pubkey: Option<&Path>) -> Result<(), Problems> {
    let problems = verify::verify(dir, pubkey)?;
    if !problems.is_empty() {
        return Err(Problems(problems));
    }
    let signature = if pubkey.is_some() { "signature, " } else { "(signature not checked: no --pubkey) " };
    println!("verified: {} — {signature}checksums, every scenario present and passed, JUnit and results agree", dir.display());
    Ok(())
}

/// Run nextest against `suite` (handed down through the handle file); whether it passed.
fn run_suite(root: &Path, selection: &Selection, scope: Scope, suite: Option<&Suite>, reports: &Path, target: Option<&Path>) -> Result<bool, Problems> {
    let handle = match suite {
        Some(suite) => {
            let handle = reports.join("handle.json");
            let text = serde_json::to_string_pretty(&suite.deployment()?.handle()?).map_err(|e| Problem::new("handle", e.to_string()))?;
            aiwah_harness::files::write_private(&handle, &text).map_err(|e| Problem::new(handle.display().to_string(), format!("cannot write: {e}")))?;
            Some(handle)
        }
        None => None,
    };
    let status = suite_command(root, selection, scope, handle.as_deref(), reports, target)
        .status()
        .map_err(|e| Problem::new("cargo nextest", format!("cannot run: {e}")).hint("cargo install cargo-nextest"))?;
    Ok(status.success())
}

/// `cargo nextest run ...` with the run's variables: the handle of accept's copy, the report
/// folder, the target file (target mode); none of an outer nextest run's own.
fn suite_command(root: &Path, selection: &Selection, scope: Scope, handle: Option<&Path>, reports: &Path, target: Option<&Path>) -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.args(nextest::arguments(selection, scope)).current_dir(root);
    // A run nested in another nextest run (this command's own tests) must not read the outer one's variables.
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("NEXTEST_") {
            cmd.env_remove(&key);
        }
    }
    cmd.env_remove(shared::HANDLE_ENV).env_remove(TARGET_ENV).env(shared::REPORTS_ENV, reports);
    if let Some(handle) = handle {
        cmd.env(shared::HANDLE_ENV, handle);
    }
    if let Some(target) = target {
        cmd.env(TARGET_ENV, target);
    }
    cmd
}

/// `KEY=value` of every generated secret of the deployment's `.env` (keys, JWT secret, passwords).
fn deployment_secrets(root: &Path, suite: &Suite) -> Result<Vec<(String, String)>, Problems> {
    let template = Template::load(root)?;
    Ok(template
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Generated { key, .. } => Some((key.clone(), suite.deployment().ok()?.env_value(key)?)),
            _ => None,
        })
        .filter(|(_, value)| value.len() >= 8)
        .collect())
}

/// Where nextest writes the ci profile's JUnit report: its store is `target/nextest` under the
/// workspace root (its `store.dir` default), also when `CARGO_TARGET_DIR` moves the build elsewhere.
const NEXTEST_CI_JUNIT: &str = "target/nextest/ci/junit.xml";
