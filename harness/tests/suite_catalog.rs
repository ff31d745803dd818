//! Scenario tags fail closed: a `@needs:`/`@observes:` key that names no image of
//! `stacks/images.toml` stops the catalog (and with it the listing) with one line naming the
//! feature file, the line and the tag — it never becomes a scenario that needs nothing.

use std::path::Path;

use aiwah_harness::suite::catalog;

/// A checkout holding only the manifest and one feature file.
fn checkout_with(feature: &str) -> tempfile::TempDir {
    let root = aiwah_harness::repo::this_checkout();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("stacks")).unwrap();
    std::fs::create_dir_all(dir.path().join("features")).unwrap();
    std::fs::copy(root.join("stacks/images.toml"), dir.path().join("stacks/images.toml")).unwrap();
    std::fs::write(dir.path().join("features/probe.feature"), feature).unwrap();
    dir
}

fn feature(tag: &str) -> String {
    format!("Feature: probe\n\n  {tag}\n  Scenario: one\n    Given nothing\n")
}

fn load(dir: &Path) -> Result<Vec<catalog::Case>, String> {
    catalog::load(dir).map_err(|p| p.to_string())
}

#[test]
fn a_known_key_is_carried_by_its_scenario() {
    let dir = checkout_with(&feature("@needs:supabase-auth @observes:supabase-kong"));
    let cases = load(dir.path()).unwrap();
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].needs, vec!["supabase-auth".to_string()]);
    assert_eq!(cases[0].observes, vec!["supabase-kong".to_string()]);
}

#[test]
fn an_unknown_needs_or_observes_key_stops_the_catalog_naming_file_line_and_tag() {
    for tag in ["@needs:supabase-nosuch", "@observes:supabase-nosuch"] {
        let dir = checkout_with(&feature(tag));
        let err = load(dir.path()).unwrap_err();
        assert!(err.contains("probe.feature:4"), "{tag}: {err}");
        assert!(err.contains(&format!("{} names no image in stacks/images.toml", tag)), "{tag}: {err}");
    }
}
