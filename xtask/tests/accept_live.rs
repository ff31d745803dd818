//! `cargo xtask accept` for real on this engine: it refuses, before starting anything, naming each
//! scenario that cannot run here; over a feature set whose images all run here (the test-only
//! `AIWAH_ACCEPT_FEATURES`) it signs off a bundle that `--verify` accepts, and `--verify` names
//! each kind of tampering: a byte changed, a scenario removed, a skip added.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use aiwah_harness::engine::{Source, Tier};
use aiwah_harness::suite::catalog;
use aiwah_harness::suite::tiers::Tiers;
use sha2::{Digest, Sha256};

fn root() -> PathBuf {
    aiwah_harness::repo::this_checkout()
}

fn xtask(args: &[&str], envs: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.args(args).current_dir(root()).env_remove(catalog::FEATURES_ENV).env_remove("AIWAH_SIGNING_KEY_FILE").env_remove("AIWAH_TARGET");
    for (key, value) in envs {
        if *key == "AIWAH_IMAGE_SOURCE" {
            // A mirror would override the source named.
            cmd.env_remove("AIWAH_REGISTRY_MIRROR");
        }
        cmd.env(key, value);
    }
    cmd.stdin(std::process::Stdio::null()).output().unwrap()
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Manifest keys that are placeholders on this engine now.
fn placeholders() -> Vec<String> {
    let root = root();
    let manifest = aiwah_harness::stack::Manifest::load(&root).unwrap();
    let plan = aiwah_harness::engine::ImagePlan::resolve(&root, &manifest, &Source::from_env().unwrap()).unwrap();
    manifest.images.iter().filter(|(_, e)| plan.choice(&e.image).is_some_and(|c| c.tier == Tier::Placeholder)).map(|(k, _)| k.clone()).collect()
}

#[test]
fn accept_refuses_here_naming_each_scenario_it_cannot_run_before_starting_anything() {
    let root = root();
    let cases = catalog::load(&root).unwrap();
    // Offline images: placeholders for the official-only services on any machine (official images
    // present or not), so that there is always something accept must refuse.
    let tiers = Tiers::resolve(&root, &Source::Offline).unwrap();
    let blocked: Vec<&str> = cases.iter().filter(|c| tiers.missing(&c.needs).next().is_some()).map(|c| c.name.as_str()).collect();
    assert!(!blocked.is_empty(), "the offline tiers hold placeholders");
    let (bundles_before, reports_before) = (count(&root.join("target/acceptance"), ""), count(&root.join("target/conformance"), "accept-"));
    let out = xtask(&["accept"], &[("AIWAH_IMAGE_SOURCE", Path::new("offline"))]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    for name in &blocked {
        assert!(shown.lines().any(|l| l.starts_with(&format!("error: scenario {name}: needs "))), "{name} is not listed on its own line:\n{shown}");
    }
    assert!(shown.contains("nothing was started"), "{shown}");
    // A start prints its progress indented ("  ui/ui: building ...") and makes a report folder first.
    assert!(!shown.lines().any(|l| l.starts_with("  ")), "it started something:\n{shown}");
    assert_eq!(count(&root.join("target/acceptance"), ""), bundles_before, "it wrote a bundle");
    assert_eq!(count(&root.join("target/conformance"), "accept-"), reports_before, "it made a report folder");
}

fn count(dir: &Path, prefix: &str) -> usize {
    std::fs::read_dir(dir).map(|d| d.filter(|e| e.as_ref().is_ok_and(|e| e.file_name().to_string_lossy().starts_with(prefix))).count()).unwrap_or(0)
}

/// The n8n and isolation features, less the scenarios needing a placeholder here.
fn runnable_features(dir: &Path) {
    let placeholders = placeholders();
    for name in ["n8n.feature", "isolation.feature"] {
        let text = std::fs::read_to_string(root().join("features").join(name)).unwrap();
        let blocks: Vec<&str> = text.split("\n\n").filter(|b| !placeholders.iter().any(|p| b.contains(&format!("@needs:{p}")))).collect();
        std::fs::write(dir.join(name), blocks.join("\n\n")).unwrap();
    }
}

fn reseal(dir: &Path) {
    let mut names: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.retain(|n| !n.starts_with("SHA256SUMS"));
    names.sort();
    let sums: String = names.iter().map(|n| format!("{:x}  {n}\n", Sha256::digest(std::fs::read(dir.join(n)).unwrap()))).collect();
    std::fs::write(dir.join("SHA256SUMS"), sums).unwrap();
}

fn copy_bundle(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[test]
fn accept_signs_off_the_features_that_run_here_and_verify_names_each_tampering() {
    let work = tempfile::tempdir().unwrap();
    let features = work.path().join("features");
    std::fs::create_dir_all(&features).unwrap();
    runnable_features(&features);
    let pair = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
    let (secret, public) = (work.path().join("signing.key"), work.path().join("signing.pub"));
    std::fs::write(&secret, pair.sk.to_box(None).unwrap().into_string()).unwrap();
    std::fs::write(&public, pair.pk.to_box().unwrap().into_string()).unwrap();

    let out = xtask(&["accept", "--allow-substitutes"], &[(catalog::FEATURES_ENV, &features), ("AIWAH_SIGNING_KEY_FILE", &secret)]);
    let shown = text(&out);
    assert!(out.status.success(), "accept failed:\n{shown}");
    // The scenarios ran against accept's own copy (whose images it locked), not one the setup script started.
    assert!(shown.contains("conformance: using the deployment its caller holds"), "{shown}");
    let line = shown.lines().find(|l| l.starts_with("accepted: ")).expect("accepted line");
    println!("{line}");
    let bundle = root().join(line.split("bundle ").nth(1).and_then(|s| s.split(' ').next()).unwrap());

    let release = std::fs::read_to_string(bundle.join("release.toml")).unwrap();
    for needle in ["features_override = true", "allow_substitutes = true", "git_commit = ", "engine_version = ", "compose_version = ", "none found"] {
        assert!(release.contains(needle), "release.toml lacks {needle:?}:\n{release}");
    }
    let results: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(bundle.join("results.json")).unwrap()).unwrap();
    let listed = results["scenarios"].as_array().unwrap();
    assert!(listed.len() >= 10 && listed.iter().all(|s| s["status"] == "passed"), "{results:#}");
    // The features folder reached the runner: nothing outside it was listed or run.
    assert!(!std::fs::read_to_string(bundle.join("junit.xml")).unwrap().contains("auth::"), "junit.xml lists scenarios outside the folder");
    let lock = std::fs::read_to_string(bundle.join("images.lock")).unwrap();
    assert!(lock.contains("service = \"n8n/n8n\"") && lock.contains("digest = \"sha256:") && lock.contains("tier = \""), "{lock}");
    // Every container ran by content address: images built here (no registry digest) by image ID, the UI by
    // the tag its start built; a registry digest where one was pulled (none here: no registry answers).
    let rows: toml::Value = toml::from_str(&lock).unwrap();
    for row in rows["image"].as_array().unwrap() {
        let (service, runs_by, started_as) = (row["service"].as_str().unwrap(), row["runs_by"].as_str().unwrap(), row["started_as"].as_str().unwrap());
        match row["tier"].as_str().unwrap() {
            "source" => {
                assert_eq!((runs_by, started_as), ("tag", format!("{}:{}", row["image"].as_str().unwrap(), row["tag"].as_str().unwrap()).as_str()), "{service}")
            }
            "official" => assert_eq!((runs_by, started_as.split_once('@').map(|(_, d)| d)), ("digest", row["digest"].as_str()), "{service}"),
            _ => assert_eq!((runs_by, started_as), ("image-id", row["image_id"].as_str().unwrap()), "{service}"),
        }
    }
    // No secret shape anywhere: the generated keys are JWTs (`eyJ…`).
    for entry in std::fs::read_dir(&bundle).unwrap() {
        let path = entry.unwrap().path();
        assert!(!String::from_utf8_lossy(&std::fs::read(&path).unwrap()).contains("eyJ"), "{} holds a JWT", path.display());
    }

    let verify = |dir: &Path, pubkey: bool| {
        let mut args = vec!["accept", "--verify", dir.to_str().unwrap()];
        if pubkey {
            args.extend(["--pubkey", public.to_str().unwrap()]);
        }
        xtask(&args, &[])
    };
    let ok = verify(&bundle, true);
    assert!(ok.status.success(), "--verify refused the bundle accept wrote:\n{}", text(&ok));

    let changed = work.path().join("changed");
    copy_bundle(&bundle, &changed);
    let mut bytes = std::fs::read(changed.join("cucumber.json")).unwrap();
    bytes[0] ^= 0x20;
    std::fs::write(changed.join("cucumber.json"), bytes).unwrap();
    let out = verify(&changed, true);
    assert!(!out.status.success() && text(&out).contains("cucumber.json: does not match its SHA256SUMS checksum"), "{}", text(&out));

    let removed = work.path().join("removed");
    copy_bundle(&bundle, &removed);
    // A name XML needs no escape for: the edits below find it verbatim.
    let index = listed.iter().position(|s| !s["name"].as_str().unwrap().contains(['\'', '"', '&', '<', '>'])).unwrap();
    let first = listed[index]["name"].as_str().unwrap().to_string();
    let mut trimmed = results.clone();
    trimmed["scenarios"].as_array_mut().unwrap().remove(index);
    std::fs::write(removed.join("results.json"), serde_json::to_string_pretty(&trimmed).unwrap()).unwrap();
    reseal(&removed);
    let out = verify(&removed, false);
    assert!(!out.status.success() && text(&out).contains(&format!("scenario {first}: is missing from results.json")), "{}", text(&out));
    assert!(text(&verify(&removed, true)).contains("signature: does not verify"));

    let skipped = work.path().join("skipped");
    copy_bundle(&bundle, &skipped);
    let junit = std::fs::read_to_string(skipped.join("junit.xml")).unwrap();
    let at = junit.find(&format!("name=\"{first}\"")).expect("the scenario is in junit.xml");
    let end = at + junit[at..].find("/>").unwrap();
    let junit = format!("{}><skipped/></testcase>{}", &junit[..end], &junit[end + 2..]);
    std::fs::write(skipped.join("junit.xml"), junit).unwrap();
    reseal(&skipped);
    let out = verify(&skipped, false);
    assert!(!out.status.success() && text(&out).contains("is skipped in junit.xml"), "{}", text(&out));
}
