//! What `cargo xtask up` prints loudly before its URLs: each service that runs as a placeholder, and
//! what does not work because of it — derived from the features' `@needs`, not a hand-written list.
//! No container starts: the deployment is only planned (offline source: every placeholder in place).

use aiwah_harness::engine::obtain::placeholders;
use aiwah_harness::engine::{Deployment, Source};

#[test]
fn each_placeholder_names_the_features_and_scenarios_that_need_it() {
    let root = aiwah_harness::repo::find_root(&std::env::current_dir().unwrap()).unwrap();
    let deployment = Deployment::ephemeral(&root, &Source::Offline, &["supabase"]).unwrap();
    let lines = placeholders(&deployment, &["supabase".to_string()]).unwrap();
    eprintln!("{}", lines.join("\n"));

    let auth = lines.iter().find(|l| l.starts_with("supabase/auth needs supabase/gotrue:")).unwrap_or_else(|| panic!("{lines:#?}"));
    assert!(auth.contains("auth (10 scenarios)"), "{auth}");
    assert!(auth.contains("ui: \"A signed-in user sees a todo inserted through REST appear without reload\""), "sign-in on the UI needs it: {auth}");
    assert!(lines.iter().any(|l| l.starts_with("supabase/kong needs ")), "{lines:#?}");
    // Control: the database runs a substitute (real PostgreSQL), so it is not listed.
    assert!(!lines.iter().any(|l| l.starts_with("supabase/db ")), "{lines:#?}");
    assert_eq!(lines.len(), deployment.models[0].config.services.len() - 1, "every other supabase service is a placeholder here: {lines:#?}");
}
