//! `cargo xtask upgrade-check`: which newer upstream images the platform can take. Discovers tags over the
//! OCI Distribution API (Docker Hub, `AIWAH_REGISTRY_MIRROR` or `--registry`), picks each image's newest
//! allowed release (stacks/images.toml: versioning, bump, cooldown_days), runs the scenarios that need a
//! bumped image on the baseline and the candidate set, searches culprits, writes the report and, with
//! `--write`, applies the bumps that passed. Exit 0: nothing newer or all pass; 1: a breaking upgrade was
//! found (named); 2: could not check (one line says why, with the registry's own words).

mod discover;
mod report;
mod search;
mod suite_run;

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use aiwah_harness::Problem;
use aiwah_harness::registry::{Endpoint, RegistryClient};
use aiwah_harness::stack::manifest::{IMAGES_ENV_FILE, MANIFEST_FILE, Manifest};
use aiwah_harness::suite::catalog;

use discover::Discovery;
use search::{Bump, Verdict};

#[derive(clap::Args)]
pub struct Args {
    /// Check only these images (manifest keys, e.g. n8n supabase-auth).
    #[arg(long, num_args = 1..)]
    only: Vec<String>,
    /// The registry to ask: a URL or a mirror prefix (default: AIWAH_REGISTRY_MIRROR, else Docker Hub).
    #[arg(long)]
    registry: Option<String>,
    /// Apply the bumps that passed to stacks/images.toml and regenerate stacks/images.env.
    #[arg(long)]
    write: bool,
    /// Discover and report only: run no suite.
    #[arg(long)]
    no_run: bool,
}

/// Why the check could not be made: exit 2.
const COULD_NOT_CHECK: u8 = 2;
const BREAKING_FOUND: u8 = 1;

pub fn run(root: &Path, args: Args) -> ExitCode {
    match check(root, &args) {
        Ok(code) => ExitCode::from(code),
        Err(problem) => {
            eprintln!("error: {problem}");
            ExitCode::from(COULD_NOT_CHECK)
        }
    }
}

fn check(root: &Path, args: &Args) -> Result<u8, Problem> {
    let wall = Instant::now();
    let started = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let manifest = Manifest::load(root)?;
    if let Some(unknown) = args.only.iter().find(|k| !manifest.images.contains_key(*k)) {
        return Err(Problem::new("upgrade-check --only", format!("no image {unknown:?} in {MANIFEST_FILE}")).hint(format!("keys: {}", keys(&manifest))));
    }
    let endpoint = match args.registry.clone().or_else(|| std::env::var("AIWAH_REGISTRY_MIRROR").ok().filter(|m| !m.is_empty())) {
        Some(text) => Endpoint::parse(&text)?,
        None => Endpoint::docker_hub(),
    };
    let client = RegistryClient::new(endpoint.clone());
    let mut discoveries: Vec<Discovery> = Vec::new();
    for (key, entry) in manifest.images.iter().filter(|(k, _)| args.only.is_empty() || args.only.contains(k)) {
        eprintln!("upgrade-check: {key}: tags of {} at {endpoint}", entry.image);
        if let Some(found) = discover::discover(&client, key, entry).map_err(|e| e.problem)? {
            discoveries.push(found);
        }
    }
    let cases = catalog::load(root)?;
    let bumps: Vec<Bump> = discoveries
        .iter()
        .filter_map(|d| {
            let c = d.candidate.as_ref()?;
            Some(Bump {
                key: d.key.clone(),
                image: c.image.clone(),
                reference: c.reference.clone(),
                fallbacks: d.fallback.iter().map(|f| (f.image.clone(), f.reference.clone())).collect(),
                scenarios: cases.iter().filter(|case| case.needs.contains(&d.key)).map(|case| case.name.clone()).collect(),
            })
        })
        .collect();
    let dir = root.join("target/upgrade-check").join(report::utc_stamp(started));
    let (mut outcome, mut runs, mut seconds) = (None, 0, 0.0);
    if !bumps.is_empty() && !args.no_run {
        // The UI stack starts only when a chosen scenario needs its image.
        let needs_ui = cases.iter().any(|c| bumps.iter().any(|b| b.scenarios.contains(&c.name)) && c.needs.iter().any(|n| n == "ui"));
        let stacks: &[&str] = if needs_ui { &["supabase", "n8n", "ui"] } else { &["supabase", "n8n"] };
        let mut runner = suite_run::SuiteProcess::build(root, &dir, stacks)?;
        let found = search::search(&bumps, &mut runner)?;
        runs = runner.runs;
        seconds = runner.seconds;
        outcome = Some(found);
    }
    let breaking = outcome.as_ref().is_some_and(|o| o.verdicts.values().flatten().any(|v| matches!(v, Verdict::Breaks { .. })));
    let mut written = Vec::new();
    if args.write {
        if let Some(outcome) = &outcome {
            written = apply(root, &manifest, outcome)?;
        }
    }
    let code = if breaking { BREAKING_FOUND } else { 0 };
    let report = report::Report {
        registry: endpoint.to_string(),
        started_utc: report::utc_stamp(started),
        images: &discoveries,
        outcome: outcome.as_ref(),
        suite_runs: runs,
        suite_seconds: seconds,
        wall_seconds: wall.elapsed().as_secs_f64(),
        written,
        exit_code: code,
        culprits: report::culprits(&discoveries, outcome.as_ref()),
    };
    report.write(&dir)?;
    print!("{}", report.markdown());
    println!("report: {}", aiwah_harness::repo::shown(root, &dir.join("report.md")));
    Ok(code)
}

/// Write every image whose last verdict passes into the manifest (comments kept), then images.env.
fn apply(root: &Path, manifest: &Manifest, outcome: &search::Outcome) -> Result<Vec<(String, String)>, Problem> {
    let path = root.join(MANIFEST_FILE);
    let mut text = std::fs::read_to_string(&path).map_err(|e| Problem::new(MANIFEST_FILE, format!("cannot read: {e}")))?;
    let mut written = Vec::new();
    for (key, verdicts) in &outcome.verdicts {
        if let Some(Verdict::Passes { image }) = verdicts.iter().rev().find(|v| matches!(v, Verdict::Passes { .. })) {
            if manifest.images.get(key).is_some_and(|e| &e.image != image) {
                text = Manifest::with_image(&text, key, image)?;
                written.push((key.clone(), image.clone()));
            }
        }
    }
    if written.is_empty() {
        return Ok(written);
    }
    std::fs::write(&path, &text).map_err(|e| Problem::new(MANIFEST_FILE, format!("cannot write: {e}")))?;
    let env = Manifest::parse(&text)?.render_env();
    std::fs::write(root.join(IMAGES_ENV_FILE), env).map_err(|e| Problem::new(IMAGES_ENV_FILE, format!("cannot write: {e}")))?;
    Ok(written)
}

fn keys(manifest: &Manifest) -> String {
    manifest.images.keys().cloned().collect::<Vec<_>>().join(", ")
}
