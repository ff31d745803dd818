//! Running by digest for real (what `cargo xtask accept` does), kept short: a local registry (Debian's
//! distribution 2.8) holds the PostgreSQL substitute built here under its official name `postgres:17.6`;
//! an n8n copy runs that entry from the registry (`AIWAH_IMAGE_OVERRIDES`), the rest offline. After
//! the pull the engine has a `RepoDigest` for it: the pinned override names `127.0.0.1:PORT/postgres@
//! sha256:…` (the digest the push stored), n8n (built here) by image ID; the database container
//! started from that override runs by that digest and its `images.lock` row says so. Control: the
//! same copy's plain override names the tag. Needs the engine and the offline images.

use aiwah_harness::engine::obtain::{self, Pulls};
use aiwah_harness::engine::pins::{self, RunsBy};
use aiwah_harness::engine::{Deployment, Source, docker, overrides, plan};
use aiwah_harness::registry::local::LocalRegistry;

/// The references pulled from the registry: untagged at the end, pass or fail.
struct Pulled(Vec<String>);

impl Drop for Pulled {
    fn drop(&mut self) {
        for reference in &self.0 {
            let _ = docker::docker(&["image", "rm", reference]);
        }
    }
}

#[test]
fn a_pulled_image_runs_by_its_registry_digest_and_the_lock_records_it() {
    let started = std::time::Instant::now();
    let root = aiwah_harness::repo::this_checkout();
    let manifest = aiwah_harness::stack::Manifest::load(&root).unwrap();
    let official = manifest.images["n8n-postgres"].image.clone();
    let mut registry = LocalRegistry::start().unwrap();
    let pushed = registry.push(&plan::offline_tag(&root, "postgres").unwrap(), &official).unwrap();
    let from_registry = format!("{}/{official}", registry.host());
    let by_digest = format!("{}/{}@{pushed}", registry.host(), pins::repository(&official));
    let _pulled = Pulled(vec![from_registry.clone(), by_digest.clone()]);
    let work = tempfile::tempdir().unwrap();
    let overrides_file = work.path().join("images.toml");
    std::fs::write(&overrides_file, format!("[images]\nn8n-postgres = \"{from_registry}\"\n")).unwrap();
    // Set before any thread starts; read by the plan this process resolves.
    unsafe { std::env::set_var(plan::OVERRIDES_ENV, &overrides_file) };

    let mut deployment = Deployment::ephemeral(&root, &Source::Offline, &["n8n"]).unwrap();
    let plain = std::fs::read_to_string(deployment.workdir().join("n8n.override.yml")).unwrap();
    assert!(plain.contains(&format!("image: \"{from_registry}\"")), "control: without the opt-in the tag is named:\n{plain}");
    let got = obtain::obtain(&mut deployment, &["n8n".into()], Pulls::Allowed).unwrap();
    assert_eq!(got.pulled, [from_registry.clone()], "the database image came from the registry");

    let pinned = overrides::run_by_digest(&mut deployment).unwrap();
    let db = &pinned.by_official[&official];
    assert_eq!((db.runs_by, db.reference.as_str()), (RunsBy::Digest, by_digest.as_str()), "the digest the push stored");
    let n8n = &pinned.by_official[&manifest.images["n8n"].image];
    assert_eq!(n8n.runs_by, RunsBy::ImageId, "the n8n substitute was built here: no registry digest");
    let text = std::fs::read_to_string(deployment.workdir().join("n8n.override.yml")).unwrap();
    assert!(text.contains(&format!("image: \"{by_digest}\"")) && text.contains(&format!("image: \"{}\"", n8n.image_id)), "{text}");

    // Only the database starts (n8n's start is slow and adds nothing here).
    let mut up = deployment.compose_command("n8n").unwrap();
    up.args(["up", "--detach", "--no-deps", "postgres"]);
    let out = up.stdin(std::process::Stdio::null()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = pins::lock(deployment.id(), &pinned).unwrap_or_else(|problems| panic!("{problems:?}"));
    assert_eq!(rows.len(), 1, "{rows:?}");
    let row = &rows[0];
    assert_eq!(
        (row.service.as_str(), row.runs_by, row.started_as.as_str(), row.digest.as_str()),
        ("n8n/postgres", RunsBy::Digest, by_digest.as_str(), pushed.as_str())
    );
    assert_eq!(row.image_id, db.image_id);
    let engine_says = docker::docker(&["inspect", "--format", "{{.Config.Image}}", &deployment.container("n8n", "postgres").unwrap()]).unwrap();
    assert_eq!(engine_says.trim(), by_digest, "the engine started it by digest");
    deployment.down().unwrap();
    eprintln!("measured: run-by-digest live test took {:.1} s", started.elapsed().as_secs_f64());
}
