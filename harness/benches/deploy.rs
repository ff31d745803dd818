//! Benchmark: one ephemeral deployment, measured. Prints the engine's overhead as a ratio of the wall
//! time of `up` to the critical path of the containers' own readiness (the longest `depends_on` chain
//! of start → healthy, from the engine's own event timestamps), and the probe matrix time.
//!
//! `cargo bench --bench deploy [-- STACK...]` (default: the stacks whose images this engine has).
//! Needs a Docker engine and images (`cargo xtask images build --offline`). Prints, never asserts.

use std::collections::BTreeMap;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aiwah_harness::engine::overrides::labels;
use aiwah_harness::engine::{Deployment, Source, plan, probe};

fn main() {
    let root = aiwah_harness::repo::this_checkout();
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let stacks: Vec<&str> = if args.is_empty() { vec!["n8n"] } else { args.iter().map(String::as_str).collect() };
    let t_prepare = Instant::now();
    let deployment = Deployment::ephemeral(&root, &Source::Offline, &stacks).expect("deployment");
    let prepare = t_prepare.elapsed();
    // Images built from source are built before the clock starts: building is not starting.
    for stack in &stacks {
        deployment.require_images(stack, &|_| {}).expect("images");
    }
    // The engine keeps only its last 256 events (health checks fill that fast): record them live.
    let mut events = Command::new("docker")
        .args(["events", "--filter", &format!("label={}={}", labels::DEPLOYMENT, deployment.id()), "--filter", "type=container", "--format", "{{json .}}"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("docker events");
    // Drain the pipe as events arrive: a full pipe stalls the CLI and the engine drops events.
    let mut pipe = events.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut recorded = String::new();
        let _ = pipe.read_to_string(&mut recorded);
        recorded
    });
    let t_up = Instant::now();
    deployment.up(&[], Duration::from_secs(300), &|_| {}).expect("up");
    let up = t_up.elapsed();
    std::thread::sleep(Duration::from_millis(500));
    let _ = events.kill();
    let _ = events.wait();
    let recorded = reader.join().expect("event reader");
    if std::env::var_os("AIWAH_BENCH_EVENTS").is_some() {
        eprintln!("{recorded}");
    }
    let readiness = readiness_by_service(&recorded);
    let critical = deployment.models.iter().map(|m| critical_path(m, &readiness)).fold(0.0f64, f64::max);

    let probe_image = plan::offline_tag(&root, "base").expect("base tag");
    let t_probe = Instant::now();
    let probes = probe::matrix(&deployment, &probe_image).expect("probes");
    let probing = t_probe.elapsed();
    // One position alone: what an isolation scenario's step costs.
    let position = probes.iter().map(|p| p.from.clone()).next_back().unwrap_or_default();
    let t_row = Instant::now();
    let row = probe::from_position(&deployment, &probe_image, &position).expect("probes from one position");
    let row_time = t_row.elapsed();

    let t_down = Instant::now();
    drop(deployment);
    let down = t_down.elapsed();

    println!("deployment of {}:", stacks.join(", "));
    for (service, secs) in &readiness {
        println!("  {service:<24} start → healthy {secs:>6.2}s");
    }
    println!("  prepare (compose config ×2 per stack, overrides)   {:>7.2}s", prepare.as_secs_f64());
    println!("  up (wall, images present, until every service healthy) {:>7.2}s", up.as_secs_f64());
    println!("  critical path of containers' own readiness        {critical:>7.2}s");
    println!("  engine overhead ratio  up / critical path         {:>7.2}", up.as_secs_f64() / critical.max(0.001));
    println!(
        "  probe matrix: {} probes from {} positions in {:.2}s ({:.0} ms/probe)",
        probes.len(),
        probes.iter().map(|p| p.from.as_str()).collect::<std::collections::BTreeSet<_>>().len(),
        probing.as_secs_f64(),
        probing.as_secs_f64() * 1000.0 / probes.len().max(1) as f64
    );
    let positions: std::collections::BTreeSet<&str> = probes.iter().map(|p| p.from.as_str()).collect();
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for p in &probes {
        *outcomes.entry(format!("{:?}", p.outcome)).or_default() += 1;
    }
    println!("  probe outcomes {outcomes:?}; {} do not hold", probes.iter().filter(|p| !p.holds()).count());
    println!("  probes from {position} alone: {} in {:.2}s", row.len(), row_time.as_secs_f64());
    // The margin the unreachability verdicts rest on: the slowest connection that did open, against the timeout.
    if let Some(slowest) = probes.iter().filter(|p| p.outcome == probe::Outcome::Open).map(|p| p.elapsed).max() {
        let timeout = probe::CONNECT_TIMEOUT.as_secs_f64();
        println!(
            "  slowest open connect {:.3}s vs connect timeout {timeout:.1}s: margin ×{:.1} ({} positions at once, load average {})",
            slowest.as_secs_f64(),
            timeout / slowest.as_secs_f64().max(0.000_001),
            positions.len(),
            std::fs::read_to_string("/proc/loadavg").unwrap_or_default().split_whitespace().next().unwrap_or("?")
        );
    }
    println!("  teardown (down --volumes, networks)               {:>7.2}s", down.as_secs_f64());
}

/// `stack/service` → seconds from its container's start to its first healthy status, from `docker events`.
fn readiness_by_service(out: &str) -> BTreeMap<String, f64> {
    let mut started: BTreeMap<String, f64> = BTreeMap::new();
    let mut healthy: BTreeMap<String, f64> = BTreeMap::new();
    for line in out.lines() {
        let Ok(event) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        let attrs = &event["Actor"]["Attributes"];
        let key = format!("{}/{}", attrs[labels::STACK].as_str().unwrap_or("?"), attrs[labels::SERVICE].as_str().unwrap_or("?"));
        let at = event["timeNano"].as_f64().unwrap_or(0.0) / 1e9;
        match event["status"].as_str().unwrap_or_default() {
            "start" => {
                started.entry(key).or_insert(at);
            }
            "health_status: healthy" => {
                healthy.entry(key).or_insert(at);
            }
            _ => {}
        }
    }
    started.iter().filter_map(|(k, s)| healthy.get(k).map(|h| (k.clone(), h - s))).collect()
}

/// The longest chain of `depends_on` in `model`, summing each service's own start → healthy time.
fn critical_path(model: &aiwah_harness::stack::StackModel, readiness: &BTreeMap<String, f64>) -> f64 {
    fn longest(model: &aiwah_harness::stack::StackModel, service: &str, readiness: &BTreeMap<String, f64>, depth: usize) -> f64 {
        let own = readiness.get(&format!("{}/{service}", model.stack)).copied().unwrap_or(0.0);
        let Some(svc) = model.config.services.get(service) else { return own };
        if depth > 32 {
            return own;
        }
        own + svc.depends_on.keys().map(|d| longest(model, d, readiness, depth + 1)).fold(0.0, f64::max)
    }
    model.config.services.keys().map(|s| longest(model, s, readiness, 0)).fold(0.0, f64::max)
}
