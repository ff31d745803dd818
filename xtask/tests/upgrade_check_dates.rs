//! The cool-down from real dates, fast (discovery only, no suite run): a local registry (Debian's
//! distribution 2.8) holds one small image under `n8nio/n8n` as the pin 2.41.1, a month-old 2.41.2, a
//! 2.41.3 created an hour ago and a 2.41.4 whose `created` is the 1970 placeholder of reproducible
//! builds. Each tag's date is its config's `created`, set by rewriting the config blob in the registry
//! (engine 20.10 builds cannot fix it). n8n's 3-day cool-down must hold 2.41.3 back (too young) and
//! 2.41.4 back (no date), propose 2.41.2 with its digest, and the report must say which date and source
//! decided each. Control: with the cool-down set to 0 in the copy, the newest (2.41.4) is proposed.

use std::process::{Command, Stdio};
use std::time::Instant;

use aiwah_harness::engine::plan;
use aiwah_harness::registry::local::LocalRegistry;
use aiwah_harness::testing::StackCopy;

const DAY: u64 = 86_400;

fn discover(copy: &StackCopy, registry: &LocalRegistry) -> (serde_json::Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["upgrade-check", "--only", "n8n", "--no-run", "--registry", &registry.url()])
        .current_dir(copy.root())
        .env_remove("AIWAH_REGISTRY_MIRROR")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let reports = copy.root().join("target/upgrade-check");
    let mut dirs: Vec<_> = std::fs::read_dir(&reports).unwrap().flatten().map(|e| e.path()).collect();
    dirs.sort();
    let dir = dirs.pop().unwrap();
    let report = serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    std::fs::remove_dir_all(dir).unwrap();
    (report, md)
}

#[test]
fn a_release_younger_than_the_cool_down_or_without_a_date_is_held_back_and_the_older_one_proposed() {
    let started = Instant::now();
    let base = plan::offline_tag(&aiwah_harness::repo::this_checkout(), "base").unwrap();
    let mut registry = LocalRegistry::start().unwrap();
    for tag in ["2.41.1", "2.41.2", "2.41.3", "2.41.4"] {
        registry.push(&base, &format!("n8nio/n8n:{tag}")).unwrap();
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let month_old = now - 30 * DAY;
    let old_digest = registry.set_created("n8nio/n8n:2.41.2", month_old).unwrap();
    registry.set_created("n8nio/n8n:2.41.3", now - 3600).unwrap();
    registry.set_created("n8nio/n8n:2.41.4", 0).unwrap();

    let copy = StackCopy::new();
    let (report, md) = discover(&copy, &registry);
    let n8n = &report["images"][0];
    assert_eq!(n8n["candidate"]["image"], "n8nio/n8n:2.41.2", "{n8n:#}");
    assert_eq!(n8n["candidate"]["digest"], old_digest.as_str());
    let held: Vec<(&str, &str)> = n8n["held_back"].as_array().unwrap().iter().map(|h| (h["tag"].as_str().unwrap(), h["reason"].as_str().unwrap())).collect();
    assert_eq!(held, [("2.41.4", "date-unknown"), ("2.41.3", "cooling-down")], "{n8n:#}");
    assert!(n8n["held_back"][0]["why"].as_str().unwrap().contains("1970-01-01T00:00:00Z is a build placeholder"), "{n8n:#}");
    assert_eq!(n8n["held_back"][1]["days_left"], 3);
    let dates = n8n["dates"].as_array().unwrap();
    assert_eq!(dates.len(), 3, "the three newer releases were dated, newest first: {n8n:#}");
    assert_eq!((dates[1]["tag"].as_str(), dates[1]["source"].as_str(), dates[1]["unix"].as_u64()), (Some("2.41.3"), Some("config-created"), Some(now - 3600)));
    assert_eq!((dates[2]["tag"].as_str(), dates[2]["source"].as_str(), dates[2]["unix"].as_u64()), (Some("2.41.2"), Some("config-created"), Some(month_old)));
    let month_old_utc = aiwah_harness::clock::Utc::from_unix(month_old).rfc3339();
    assert!(
        md.contains(&format!("2.41.2 config created {month_old_utc}, old enough")) && md.contains("held back (3 d left)") && md.contains("held back (no date)"),
        "{md}"
    );

    // Control: the same registry without a cool-down proposes the newest release.
    copy.mutate(
        "stacks/images.toml",
        "bump = \"minor\"\ncooldown_days = 3\nrole = \"service\"\noffline = \"n8n\"",
        "bump = \"minor\"\ncooldown_days = 0\nrole = \"service\"\noffline = \"n8n\"",
    );
    let (report, md) = discover(&copy, &registry);
    assert_eq!(report["images"][0]["candidate"]["image"], "n8nio/n8n:2.41.4", "{:#}", report["images"][0]);
    assert!(report["images"][0]["dates"].as_array().unwrap().is_empty(), "no cool-down: nothing dated");
    assert!(md.contains("| none |"), "{md}");
    eprintln!("measured: cool-down live test took {:.1} s", started.elapsed().as_secs_f64());
}
