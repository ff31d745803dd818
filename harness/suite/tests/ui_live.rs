//! The bundle scan can fail: a UI built with the service key handed to it is caught. (The UI's
//! health, the sign-in form in Chromium and the clean bundle are scenarios of `features/ui.feature`.)
//! Needs the engine and the offline node image.

use aiwah_harness::engine::{Deployment, Source};
use aiwah_suite::clients::bundle;

fn ui_image(deployment: &Deployment) -> String {
    deployment.models.iter().find(|m| m.stack == "ui").unwrap().config.services["ui"].image.clone().unwrap()
}

/// The bundle's leaks for `deployment`'s own service key.
fn bundle_leaks(deployment: &Deployment) -> Vec<bundle::Leak> {
    let dir = std::env::temp_dir().join(format!("aiwah-bundle-{}", deployment.id()));
    let _ = std::fs::remove_dir_all(&dir);
    bundle::extract(&ui_image(deployment), "/app/.next/static", &dir).unwrap();
    let service_key = deployment.env_value("SERVICE_ROLE_KEY").unwrap();
    let scan = bundle::scan_dir(&dir, &service_key);
    let _ = std::fs::remove_dir_all(&dir);
    scan.unwrap().leaks
}

#[test]
fn a_build_handed_the_service_key_is_caught_by_the_bundle_scan() {
    let copy = aiwah_harness::testing::StackCopy::new();
    copy.mutate(
        "stacks/ui/compose.yml",
        "NEXT_PUBLIC_SUPABASE_ANON_KEY: ${ANON_KEY:?run cargo xtask env}",
        "NEXT_PUBLIC_SUPABASE_ANON_KEY: ${SERVICE_ROLE_KEY:?run cargo xtask env}",
    );
    let deployment = Deployment::ephemeral(copy.root(), &Source::Offline, &["ui"]).unwrap();
    deployment.require_images("ui", &|line| eprintln!("{line}")).unwrap();
    let leaks = bundle_leaks(&deployment);
    assert!(leaks.iter().any(|l| l.what == "the service-role key"), "{leaks:?}");
}
