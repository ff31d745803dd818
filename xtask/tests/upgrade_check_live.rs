//! `cargo xtask upgrade-check` for real: a local registry (Debian's distribution 2.8) holds the n8n image
//! built here under `n8nio/n8n` as the pinned 2.41.1, a newer 2.41.2 that works (a label differs) and a
//! newest 2.41.3 broken on purpose (its env contract changed: webhooks served under /hooks/ instead of
//! /webhook/). The check must name 2.41.3 as the culprit with the scenarios it breaks, propose 2.41.2, and
//! `--write` must put exactly that into a copy's manifest and images.env (never the checkout's own).
//! The two newer tags are dated a week back (their config's `created`), past n8n's cool-down.
//! Prints the measured wall time and number of suite runs. Needs the engine and the offline n8n image.

use std::process::{Command, Stdio};
use std::time::Instant;

use aiwah_harness::engine::{docker, plan};
use aiwah_harness::registry::local::LocalRegistry;
use aiwah_harness::testing::StackCopy;

const WEBHOOK_SCENARIO: &str = "n8n::A fixture workflow, published, answers its webhook";

/// An image built on top of another with one Dockerfile line; removed on drop.
struct DerivedImage(String);

impl DerivedImage {
    fn build(from: &str, line: &str, name: &str) -> DerivedImage {
        use std::io::Write;
        let tag = format!("aiwah-test/{name}:{}", aiwah_harness::secrets::random::hex(8));
        let mut build = Command::new("docker").args(["build", "--quiet", "--tag", &tag, "-"]).stdin(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
        write!(build.stdin.take().unwrap(), "FROM {from}\n{line}\n").unwrap();
        assert!(build.wait().unwrap().success(), "building {tag}");
        DerivedImage(tag)
    }
}

impl Drop for DerivedImage {
    fn drop(&mut self) {
        let _ = docker::docker(&["image", "rm", "--force", &self.0]);
    }
}

/// The `127.0.0.1:PORT/...` images upgrade-check pulled: removed at the end, pass or fail.
struct PulledFrom(String);

impl Drop for PulledFrom {
    fn drop(&mut self) {
        let listed = docker::docker(&["image", "ls", "--format", "{{.Repository}}:{{.Tag}}"]).unwrap_or_default();
        for reference in listed.lines().filter(|r| r.starts_with(&format!("{}/", self.0))) {
            let _ = docker::docker(&["image", "rm", reference]);
        }
    }
}

#[test]
fn a_broken_newer_n8n_is_named_culprit_and_only_the_working_one_is_written() {
    let checkout = aiwah_harness::repo::this_checkout();
    let n8n = plan::offline_tag(&checkout, "n8n").unwrap();
    let working = DerivedImage::build(&n8n, "LABEL aiwah.test.variant=newer-working", "n8n-working");
    let broken = DerivedImage::build(&n8n, "ENV N8N_ENDPOINT_WEBHOOK=hooks", "n8n-broken");
    let mut registry = LocalRegistry::start().unwrap();
    let _pulled = PulledFrom(registry.host());
    let pushing = Instant::now();
    registry.push(&n8n, "n8nio/n8n:2.41.1").unwrap();
    registry.push(&working.0, "n8nio/n8n:2.41.2").unwrap();
    registry.push(&broken.0, "n8nio/n8n:2.41.3").unwrap();
    // Built a moment ago, both would be held back by n8n's 3-day cool-down: date them a week back.
    let week_ago = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() - 7 * 86_400;
    let working_digest = registry.set_created("n8nio/n8n:2.41.2", week_ago).unwrap();
    let broken_digest = registry.set_created("n8nio/n8n:2.41.3", week_ago).unwrap();
    eprintln!("pushed three n8n tags in {:.0} s", pushing.elapsed().as_secs_f64());

    let copy = StackCopy::new();
    let checkout_manifest = std::fs::read_to_string(checkout.join("stacks/images.toml")).unwrap();
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["upgrade-check", "--only", "n8n", "--write", "--registry", &registry.url()])
        .current_dir(copy.root())
        .env_remove("AIWAH_REGISTRY_MIRROR")
        .env_remove("AIWAH_IMAGE_SOURCE")
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    let wall = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "a breaking upgrade was found:\n{stdout}");

    let dir = std::fs::read_dir(copy.root().join("target/upgrade-check")).unwrap().flatten().next().unwrap().path();
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    let image = &report["images"][0];
    assert_eq!(image["candidate"]["image"], "n8nio/n8n:2.41.3");
    assert_eq!(image["candidate"]["digest"], broken_digest.as_str());
    assert_eq!(image["fallback"]["digest"], working_digest.as_str());
    assert_eq!((image["dates"][0]["source"].as_str(), image["dates"][0]["unix"].as_u64()), (Some("config-created"), Some(week_ago)), "{image:#}");
    let verdicts = report["outcome"]["verdicts"]["n8n"].as_array().unwrap();
    assert_eq!(verdicts.len(), 2, "{verdicts:?}");
    assert_eq!((verdicts[0]["verdict"].as_str(), verdicts[0]["image"].as_str()), (Some("breaks"), Some("n8nio/n8n:2.41.3")));
    let broken_scenarios: Vec<&str> = verdicts[0]["scenarios"].as_array().unwrap().iter().filter_map(|s| s.as_str()).collect();
    assert!(broken_scenarios.contains(&WEBHOOK_SCENARIO), "{broken_scenarios:?}");
    assert!(!broken_scenarios.contains(&"n8n::The n8n stack holds no Supabase credential in its environment"), "unaffected scenarios are not blamed");
    assert_eq!((verdicts[1]["verdict"].as_str(), verdicts[1]["image"].as_str()), (Some("passes"), Some("n8nio/n8n:2.41.2")));
    // The flat list the nightly workflow opens one issue per entry for.
    let culprits = report["culprits"].as_array().unwrap();
    assert_eq!(culprits.len(), 1, "{culprits:?}");
    assert_eq!(
        (culprits[0]["image"].as_str(), culprits[0]["current"].as_str(), culprits[0]["candidate"].as_str()),
        (Some("n8n"), Some("n8nio/n8n:2.41.1"), Some("n8nio/n8n:2.41.3"))
    );
    // The baseline passed the webhook scenario: the failure is the upgrade's, not the platform's.
    let baseline = &report["outcome"]["runs"][0];
    assert_eq!(baseline["label"], "baseline");
    assert_eq!(baseline["result"]["scenarios"][WEBHOOK_SCENARIO][0], "passed");

    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.contains("### n8n: n8nio/n8n:2.41.3") && md.contains(WEBHOOK_SCENARIO), "{md}");
    let manifest = std::fs::read_to_string(copy.root().join("stacks/images.toml")).unwrap();
    assert!(manifest.contains("image = \"n8nio/n8n:2.41.2\"") && !manifest.contains("n8nio/n8n:2.41.3"), "only the working tag is written");
    assert_eq!(manifest.replace("n8nio/n8n:2.41.2", "n8nio/n8n:2.41.1"), checkout_manifest, "nothing else in the manifest changed");
    let env = std::fs::read_to_string(copy.root().join("stacks/images.env")).unwrap();
    assert!(env.lines().any(|l| l == "N8N_IMAGE=n8nio/n8n:2.41.2"), "{env}");
    assert_eq!(std::fs::read_to_string(checkout.join("stacks/images.toml")).unwrap(), checkout_manifest, "the checkout's own manifest is untouched");
    eprintln!(
        "measured: one-culprit upgrade-check took {:.1} min wall time, {} suite runs ({:.1} min in the suite)",
        wall.as_secs_f64() / 60.0,
        report["suite_runs"],
        report["suite_seconds"].as_f64().unwrap_or(0.0) / 60.0
    );
}
