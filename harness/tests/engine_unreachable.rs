//! An engine that cannot be asked is an error naming it, never "image absent" (which would turn
//! into "official image, reported missing" or a quietly different tier). No engine needed: the
//! CLI is pointed at a socket nothing listens on.

use aiwah_harness::engine::{ImagePlan, Source, docker};
use aiwah_harness::stack::Manifest;
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
}
