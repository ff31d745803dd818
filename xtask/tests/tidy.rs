//! Repository rules, enforced as tests (in the manner of rust-analyzer's `tidy`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use aiwah_harness::secrets::Template;
use aiwah_harness::secrets::demo::committed_files;
use aiwah_harness::stack::manifest::{IMAGES_ENV_FILE, Manifest};

fn root() -> PathBuf {
    aiwah_harness::repo::this_checkout()
}

fn compose_files(root: &Path) -> Vec<PathBuf> {
    committed_files(root).into_iter().filter(|f| f.starts_with("stacks") && f.file_name().is_some_and(|n| n.to_string_lossy().starts_with("compose"))).collect()
}

/// `${NAME` references in `text` (not `$${NAME}`, which compose leaves to the container's shell).
fn variables(text: &str) -> BTreeSet<String> {
    text.match_indices("${")
        .filter(|(i, _)| *i == 0 || text.as_bytes()[i - 1] != b'$')
        .map(|(i, _)| text[i + 2..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect::<String>())
        .filter(|v| !v.is_empty())
        .collect()
}

#[test]
fn images_env_is_generated_from_the_manifest() {
    let root = root();
    let wanted = Manifest::load(&root).unwrap().render_env();
    let actual = std::fs::read_to_string(root.join(IMAGES_ENV_FILE)).unwrap_or_default();
    assert!(actual == wanted, "{IMAGES_ENV_FILE} is stale: run `cargo xtask images sync`");
}

#[test]
fn every_manifest_image_is_used_and_every_image_variable_is_in_the_manifest() {
    let root = root();
    let manifest = Manifest::load(&root).unwrap();
    let used: BTreeSet<String> =
        compose_files(&root).iter().flat_map(|f| variables(&std::fs::read_to_string(root.join(f)).unwrap())).filter(|v| v.ends_with("_IMAGE")).collect();
    let declared: BTreeSet<String> = manifest.images.values().map(|e| e.variable.clone()).collect();
    assert_eq!(used, declared, "compose files and stacks/images.toml disagree on image variables");
}

#[test]
fn every_variable_the_stacks_read_comes_from_the_template_or_the_manifest() {
    let root = root();
    let template = Template::load(&root).unwrap();
    let mut known: BTreeSet<String> = template
        .items
        .iter()
        .filter_map(|i| match i {
            aiwah_harness::secrets::template::Item::Literal { key, .. } | aiwah_harness::secrets::template::Item::Generated { key, .. } => Some(key.clone()),
            _ => None,
        })
        .collect();
    known.extend(Manifest::load(&root).unwrap().images.values().map(|e| e.variable.clone()));
    // Set by compose itself, or optional with a default in the file.
    known.insert("COMPOSE_PROJECT_NAME".into());
    for file in compose_files(&root) {
        let text = std::fs::read_to_string(root.join(&file)).unwrap();
        for var in variables(&text) {
            let optional = text.contains(&format!("${{{var}:-")) || text.contains(&format!("${{{var}-"));
            assert!(
                known.contains(&var) || optional,
                "{}: ${{{var}}} is required but neither stacks/env.template nor stacks/images.toml defines it",
                file.display()
            );
        }
    }
}

/// Files allowed past the size limit, each with its reason.
const LONG_FILES: &[(&str, &str)] = &[("stacks/supabase/volumes/api/kong.yml", "upstream Kong declarative config, kept verbatim")];

#[test]
fn no_file_over_400_lines_without_a_reason() {
    let root = root();
    let mut long = Vec::new();
    for file in committed_files(&root) {
        let ext = file.extension().map(|e| e.to_string_lossy().into_owned()).unwrap_or_default();
        if !["rs", "yml", "yaml", "toml", "sh", "sql", "ts", "tsx", "md", "feature"].contains(&ext.as_str()) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(root.join(&file)) else { continue };
        let lines = text.lines().count();
        let allowed = LONG_FILES.iter().any(|(f, _)| Path::new(f) == file) || file.ends_with("README.md");
        if lines > 400 && !allowed {
            long.push(format!("{}: {lines} lines", file.display()));
        }
    }
    assert!(long.is_empty(), "split these or list them with a reason in LONG_FILES: {long:#?}");
}

#[test]
fn secrets_never_reach_the_repository() {
    let root = root();
    let ignored = std::fs::read_to_string(root.join(".gitignore")).unwrap();
    assert!(ignored.lines().any(|l| l == "/.env"), ".env must be git-ignored");
    assert!(ignored.lines().any(|l| l == "/.env.bak-*"), ".env backups must be git-ignored");
    let committed = committed_files(&root);
    assert!(!committed.iter().any(|f| f.file_name().is_some_and(|n| n == ".env")), "a .env is committed");
}

#[test]
fn rust_sources_are_formatted() {
    let root = root();
    let out =
        std::process::Command::new("cargo").args(["fmt", "--all", "--", "--check", "--files-with-diff"]).current_dir(&root).output().expect("cargo fmt runs");
    let stale = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "not formatted as rustfmt.toml says (run `cargo fmt --all`):\n{stale}{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn xtask_builds_without_the_suite_dependencies() {
    // The deploy CLI must not compile the conformance suite's runner, Gherkin or protocol clients.
    let out = std::process::Command::new("cargo")
        .args(["tree", "--package", "xtask", "--edges", "normal", "--prefix", "none", "--offline"])
        .current_dir(root())
        .output()
        .expect("cargo tree runs");
    assert!(out.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&out.stderr));
    let tree = String::from_utf8_lossy(&out.stdout);
    let crates: BTreeSet<&str> = tree.lines().filter_map(|l| l.split_whitespace().next()).collect();
    assert!(crates.contains("aiwah-harness"), "the tree does not list aiwah-harness: the check saw nothing\n{tree}");
    let suite_only: Vec<&str> =
        ["aiwah-suite", "cucumber", "libtest-mimic", "tokio-tungstenite", "tokio-postgres", "wiremock"].into_iter().filter(|c| crates.contains(c)).collect();
    assert!(suite_only.is_empty(), "cargo xtask depends on {suite_only:?}");
}
