//! The harness survives its own faults, for real (engine, offline images): a database killed during a
//! scenario fails that scenario — with the database's logs — while the others still run and pass; an
//! engine that goes away mid-run fails the run in bounded time naming the engine, and the next run
//! sweeps what it left; two runs at once on one engine both pass, each in its own deployment. Each
//! run is the conformance binary standalone (its own ephemeral copy of the supabase stack) over a
//! test-only feature folder (harness/suite/tests/fixtures/harness_faults). "Bounded" is the test's
//! limit on each run (a hang is killed and fails the test); durations are printed, never asserted.

#[path = "harness_faults/support.rs"]
mod support;

use std::time::{Duration, Instant};

use support::{EngineProxy, NestedNextest, Run, Stream, conformance_binary, leaked_by, left_of, wait_for_bulk_insert};

/// A run that hangs is stopped here and fails the test: far beyond a healthy run's 1-3 minutes.
const RUN_LIMIT: Duration = Duration::from_secs(900);

/// Costs: one supabase-stack start and a bulk insert cut short (about 1-2 min here).
#[test]
fn a_database_killed_during_a_scenario_fails_that_scenario_with_its_logs_and_the_others_pass() {
    let binary = conformance_binary();
    let run = Run::start(&binary, "db_killed", None);
    let db = wait_for_bulk_insert(&run, RUN_LIMIT);
    let killed_at = run.since_start();
    aiwah_harness::engine::docker::docker(&["kill", &db]).unwrap();
    let deployments = run.deployments();
    let done = run.wait(RUN_LIMIT);
    let text = done.text();
    let results = done.results();

    let victim = "faults::The database is killed while this scenario waits on it";
    let (event, failed_at) = results.get(victim).unwrap_or_else(|| panic!("{victim} has a result:\n{text}"));
    assert_eq!(event, "failed", "{text}");
    for other in ["faults::A scenario after the fault still runs", "faults::Another scenario after the fault still runs"] {
        let (event, at) = results.get(other).unwrap_or_else(|| panic!("{other} ran:\n{text}"));
        assert_eq!(event, "ok", "{other}:\n{text}");
        assert!(at > failed_at, "{other} ran after the fault");
    }
    assert!(!done.status.success(), "a failed scenario fails the run");
    // The failure carries the database's logs (the runner prints them with the scenario's failure).
    let logs_header = done.lines.iter().position(|(_, s, l)| *s == Stream::Err && l.starts_with("----- logs of supabase/db"));
    let logs_header = logs_header.unwrap_or_else(|| panic!("no logs of supabase/db with the failure:\n{text}"));
    assert!(done.lines[logs_header + 1..].iter().take(60).any(|(_, _, l)| l.contains("PostgreSQL") || l.contains("database system")), "{text}");
    assert_eq!(deployments.len(), 1, "{deployments:?}");
    assert!(left_of(&deployments[0]).is_empty(), "the run left {:?}", left_of(&deployments[0]));
    println!(
        "measured: scenario failed {:.1} s after the kill; run ended {:.1} s after it (teardown included); run {:.1} s",
        (*failed_at - killed_at).as_secs_f64(),
        (done.elapsed - killed_at).as_secs_f64(),
        done.elapsed.as_secs_f64()
    );
}

/// Costs: two supabase-stack starts (the dead run's, then the next run's) — about 2-4 min here.
#[test]
fn an_engine_gone_mid_run_fails_it_in_bounded_time_naming_the_engine_and_the_next_run_sweeps() {
    let binary = conformance_binary();
    let dir = tempfile::tempdir().unwrap();
    let mut engine = EngineProxy::start(dir.path());
    let run = Run::start(&binary, "engine_gone", Some(&engine.host()));
    wait_for_bulk_insert(&run, RUN_LIMIT);
    let deployments = run.deployments();
    assert_eq!(deployments.len(), 1, "{deployments:?}");
    assert!(engine.connections.load(std::sync::atomic::Ordering::SeqCst) > 0, "the run reached the engine through the test's socket");
    let stopped_at = run.since_start();
    engine.stop();
    let done = run.wait(RUN_LIMIT);
    let text = done.text();
    assert!(!done.status.success(), "{text}");
    let engine_lines: Vec<&str> = done.lines.iter().map(|(_, _, l)| l.as_str()).filter(|l| l.starts_with("aiwah: ") && l.contains(&engine.host())).collect();
    assert_eq!(engine_lines.len(), 1, "one line names the engine:\n{text}");
    assert!(engine_lines[0].contains("not reachable") && engine_lines[0].contains("the next run on this engine sweeps them"), "{}", engine_lines[0]);
    // Positive control: the dead run could not remove its deployment.
    let left = left_of(&deployments[0]);
    assert!(left.iter().any(|l| l.starts_with("Container ")), "the dead run left its containers: {left:?}");
    let last_result = done.results().values().map(|(_, at)| *at).max().unwrap_or(stopped_at);
    println!(
        "measured: the run ended {:.1} s after the engine went away ({:.1} s after its last scenario result: failing scenarios, teardown attempt, exit)",
        (done.elapsed - stopped_at).as_secs_f64(),
        (done.elapsed - last_result).as_secs_f64()
    );

    // The next run, on the real engine, sweeps them before it starts its own copy.
    let next = Run::start(&binary, "engine_gone", None);
    let next_started = Instant::now();
    let done = next.wait(RUN_LIMIT);
    let text = done.text();
    assert!(text.lines().any(|l| l.starts_with("aiwah: swept leftovers of dead runs: ")), "{text}");
    assert!(left_of(&deployments[0]).is_empty(), "the next run swept the dead run's resources: {:?}", left_of(&deployments[0]));
    println!("measured: the next run took {:.1} s", next_started.elapsed().as_secs_f64());
}

/// Costs: two supabase-stack starts at once (about 2-3 min here).
#[test]
fn two_runs_at_once_on_one_engine_both_pass_in_deployments_of_their_own() {
    let binary = conformance_binary();
    let runs = [Run::start(&binary, "small", None), Run::start(&binary, "small", None)];
    let started = Instant::now();
    // Both deployments exist at the same time (else the test proves nothing about clashes).
    let both = loop {
        let ids: Vec<Vec<String>> = runs.iter().map(Run::deployments).collect();
        if ids.iter().all(|d| !d.is_empty()) {
            break ids;
        }
        assert!(started.elapsed() < RUN_LIMIT, "both runs never had a deployment at once");
        std::thread::sleep(Duration::from_millis(500));
    };
    let [a, b] = runs;
    let (a, b) = (a.wait(RUN_LIMIT), b.wait(RUN_LIMIT));
    for done in [&a, &b] {
        let results = done.results();
        assert!(done.status.success(), "{}", done.text());
        assert_eq!(results.values().filter(|(e, _)| e == "ok").count(), 2, "{results:?}");
    }
    assert_eq!((both[0].len(), both[1].len()), (1, 1), "{both:?}");
    assert_ne!(both[0], both[1], "separate deployments");
    let texts = format!("--- run A:\n{}\n--- run B:\n{}", a.text(), b.text());
    for id in both.iter().flatten() {
        assert!(leaked_by(id, &texts).is_empty(), "run of {id} left {:?}\n{texts}", leaked_by(id, &texts));
    }
    println!("measured: both runs over in {:.1} s and {:.1} s", a.elapsed.as_secs_f64(), b.elapsed.as_secs_f64());
}

/// Two `cargo nextest run`s of the suite at once, each through nextest's setup script and a holder of
/// its own (the path CI and developers take), over the small fixture with the supabase stack only.
/// Costs: two supabase-stack starts at once (2-4 min here).
#[test]
fn two_nextest_runs_at_once_each_hold_a_deployment_of_their_own() {
    let runs = [NestedNextest::start("small"), NestedNextest::start("small")];
    // Which suite deployments exist, sampled while the runs go on (others' tests may add theirs).
    let mut seen: Vec<std::collections::BTreeSet<String>> = Vec::new();
    let started = Instant::now();
    let mut runs = runs.map(Some);
    let mut done = Vec::new();
    while done.len() < 2 {
        assert!(started.elapsed() < RUN_LIMIT, "the runs hung: still going after {} s", RUN_LIMIT.as_secs());
        seen.push(support::suite_deployments());
        for slot in runs.iter_mut() {
            if slot.as_mut().is_some_and(NestedNextest::ended) {
                done.push(slot.take().unwrap().finish());
            }
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let mut ids = Vec::new();
    for (status, text) in &done {
        assert!(status.success(), "a run failed:\n{text}");
        assert!(text.contains("2 tests run: 2 passed"), "both scenarios ran and passed:\n{text}");
        // The holder's last line: removed, or not fully and why (checked below against what is left).
        let last = text.lines().find_map(|l| l.split("aiwah: suite deployment ").nth(1)).filter(|rest| rest.contains("removed"));
        let id = last.and_then(|rest| rest.split_whitespace().next()).map(String::from);
        ids.push(id.unwrap_or_else(|| panic!("the run says what became of its deployment:\n{text}")));
    }
    assert_ne!(ids[0], ids[1], "separate deployments");
    assert!(seen.iter().any(|now| now.contains(&ids[0]) && now.contains(&ids[1])), "both deployments existed at the same time: {ids:?}");
    let texts = done.iter().map(|(_, text)| text.as_str()).collect::<Vec<_>>().join("\n");
    for id in &ids {
        assert!(leaked_by(id, &texts).is_empty(), "run of {id} left {:?}\n{texts}", leaked_by(id, &texts));
    }
    println!("measured: both nextest runs over in {:.1} s", started.elapsed().as_secs_f64());
}
