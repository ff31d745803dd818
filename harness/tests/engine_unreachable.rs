//! An engine that cannot be asked is an error naming it, never "image absent" (which would turn
//! into "official image, reported missing" or a quietly different tier). No engine needed: the
//! CLI is pointed at a socket nothing listens on.

use aiwah_harness::engine::teardown::Teardown;
use aiwah_harness::engine::{ImagePlan, Source, docker};
use aiwah_harness::stack::{Compose, Invocation, Manifest};
use aiwah_harness::suite::tiers::Tiers;

#[test]
fn a_dead_engine_is_an_error_for_image_checks_plans_and_tiers() {
    let dir = tempfile::tempdir().unwrap();
    let socket = format!("unix://{}/no-engine.sock", dir.path().display());
    // SAFETY: this binary's only test; nothing else reads the environment concurrently.
    unsafe { std::env::set_var("DOCKER_HOST", &socket) };
    let root = aiwah_harness::repo::this_checkout();

    let err = docker::image_present("aiwah-offline/base:anything").unwrap_err().to_string();
    assert!(err.contains(&format!("docker engine at {socket}")), "names the engine: {err}");
    assert!(err.contains("aiwah-offline/base:anything"), "names the image: {err}");

    let manifest = Manifest::load(&root).unwrap();
    let plan = ImagePlan::resolve(&root, &manifest, &Source::Auto).unwrap_err().to_string();
    assert!(plan.contains(&socket), "auto resolution asks the engine and says it could not: {plan}");
    let tiers = Tiers::resolve(&root, &Source::Auto).unwrap_err().to_string();
    assert!(tiers.contains(&socket), "{tiers}");

    // Control: sources that never ask the engine still resolve without one.
    let offline = ImagePlan::resolve(&root, &manifest, &Source::Offline).unwrap();
    assert_eq!(offline.by_official.len(), manifest.images.len());

    // A copy whose engine went away mid-run: its teardown names the engine, in one line, and what
    // becomes of the leftovers (xtask/tests/harness_faults.rs shows it in a real run).
    let stack = root.join("stacks/supabase");
    let teardown = Teardown {
        deployment: "0badc0".into(),
        compose: Compose::locate().unwrap(),
        invocations: vec![Invocation {
            project: "aiwah-0badc0-supabase".into(),
            project_dir: stack.clone(),
            files: vec![stack.join("compose.yml")],
            env_files: vec![root.join("stacks/images.env")],
            env: Default::default(),
            inherit_env: false,
        }],
        ephemeral: true,
        built_images: vec![],
        workdir: dir.path().join("work"),
    };
    let err = teardown.run().unwrap_err().to_string();
    assert!(err.starts_with(&format!("docker engine at {socket}: not reachable (")), "{err}");
    assert!(err.contains("deployment 0badc0's containers, networks and volumes are left; the next run on this engine sweeps them"), "{err}");
    assert!(!err.contains('\n'), "one line: {err}");
}
