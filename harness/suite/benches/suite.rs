//! Benchmark: the conformance suite, measured. Starts one suite deployment (offline images), then
//! runs every scenario that can run here one after another and prints the wall time of the whole
//! suite, per feature, of attaching to the deployment as a scenario process does, and of the full isolation probe matrix — with ratios: scenarios to
//! deployment start, and the matrix's time per probe against the one-position probes the isolation
//! scenarios use. Skipped scenarios are counted, never timed as passed.
//!
//! `cargo bench --bench suite`. Needs a Docker engine, offline images and Chromium. Prints, never asserts.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aiwah_harness::engine::{Source, probe};
use aiwah_harness::suite::{catalog, report, shared};

fn main() {
    let root = aiwah_harness::repo::this_checkout();
    let cases = catalog::load(&root).expect("features");
    let t_start = Instant::now();
    let suite = Arc::new(shared::Suite::start(&root, &Source::Offline, &shared::STACKS, &|_| {}).expect("suite deployment"));
    let ready = t_start.elapsed();

    // Attaching as each scenario process does, from the handle the holder writes: no engine or
    // compose call, so this is file reading and parsing only.
    let reports = root.join("target/conformance/bench");
    std::fs::create_dir_all(&reports).expect("reports folder");
    let handle_file = reports.join("handle.json");
    std::fs::write(&handle_file, serde_json::to_string(&suite.deployment().expect("deployment").handle().expect("handle")).expect("json"))
        .expect("handle file");
    const ATTACHES: u32 = 10;
    let t_attach = Instant::now();
    for _ in 0..ATTACHES {
        drop(shared::Suite::attach(&handle_file).expect("attach"));
    }
    let attach = t_attach.elapsed() / ATTACHES;

    let t_matrix = Instant::now();
    let probes = probe::matrix(suite.deployment().expect("deployment"), &suite.probe_image().expect("probe image")).expect("probe matrix");
    let matrix = t_matrix.elapsed();
    let broken = probes.iter().filter(|p| !p.holds()).count();

    let mut per_feature: BTreeMap<String, (Duration, usize, usize)> = BTreeMap::new();
    let (mut skipped, mut failed) = (0, 0);
    let t_run = Instant::now();
    for case in &cases {
        if suite.tiers.skip_reason(case).is_some() {
            skipped += 1;
            continue;
        }
        let t = Instant::now();
        let ok = aiwah_suite::steps::run_scenario(suite.clone(), case, &report::scenario_file(&reports, &case.name)).is_ok();
        let feature = case.name.split("::").next().unwrap_or_default().to_string();
        let entry = per_feature.entry(feature).or_default();
        entry.0 += t.elapsed();
        entry.1 += 1;
        if !ok {
            failed += 1;
            entry.2 += 1;
        }
    }
    let run = t_run.elapsed();
    let ran: usize = per_feature.values().map(|v| v.1).sum();

    println!("suite deployment ready:  {:>7.1} s (supabase + n8n + ui, offline images)", ready.as_secs_f64());
    println!("scenarios run:           {:>7.1} s ({ran} ran, {failed} failed, {skipped} skipped here), one after another", run.as_secs_f64());
    for (feature, (time, n, f)) in &per_feature {
        println!("  {feature:<10} {:>7.1} s  {n} scenarios ({f} failed), {:.2} s each", time.as_secs_f64(), time.as_secs_f64() / *n as f64);
    }
    println!("attach to the deployment: {:>7.1} ms (mean of {ATTACHES}, in process, from its handle)", attach.as_secs_f64() * 1000.0);
    println!("whole local suite:       {:>7.1} s wall", (ready + run).as_secs_f64());
    println!("ratio scenarios / start: {:>7.2}", run.as_secs_f64() / ready.as_secs_f64());
    println!(
        "isolation matrix:        {:>7.1} s for {} probes ({broken} broken), {:.0} ms per probe",
        matrix.as_secs_f64(),
        probes.len(),
        matrix.as_secs_f64() * 1000.0 / probes.len().max(1) as f64
    );
    if let Some((time, n, _)) = per_feature.get("isolation") {
        println!("ratio isolation scenarios / full matrix: {:.2} ({n} scenarios, one position each)", time.as_secs_f64() / matrix.as_secs_f64());
    }
    let Ok(suite) = Arc::try_unwrap(suite) else { return };
    let mut deployment = suite.into_deployment().expect("the deployment it started");
    deployment.down().expect("teardown");
}
