//! The offline image tags the harness computes in Rust are the tags `stacks/offline/build.sh` gives
//! (`build.sh --tag NAME`): for every recipe build.sh knows, and again after a recipe's content
//! and a file's executable bit change. Needs bash and sha256sum, no engine.

use std::path::Path;
use std::process::Command;

use aiwah_harness::engine::plan::offline_tag;

/// The recipes build.sh knows (its `RECIPES=(...)` line).
fn recipes(offline: &Path) -> Vec<String> {
    let script = std::fs::read_to_string(offline.join("build.sh")).unwrap();
    let line = script.lines().find_map(|l| l.strip_prefix("RECIPES=(")).expect("build.sh has a RECIPES=(...) line");
    line.trim_end_matches(')').split_whitespace().map(String::from).collect()
}

fn bash_tag(offline: &Path, name: &str) -> String {
    let out = Command::new("bash").arg(offline.join("build.sh")).args(["--tag", name]).env_remove("AIWAH_OFFLINE_PREFIX").output().unwrap();
    assert!(out.status.success(), "build.sh --tag {name}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A copy of `stacks/offline` under a fresh root (build.sh hashes the folder it lives in).
fn copy_of_offline(root: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("stacks")).unwrap();
    let status = Command::new("cp").arg("-a").arg(root.join("stacks/offline")).arg(dir.path().join("stacks/")).status().unwrap();
    assert!(status.success());
    dir
}

#[test]
fn every_recipe_tag_equals_build_sh() {
    let root = aiwah_harness::repo::this_checkout();
    let offline = root.join("stacks/offline");
    let names = recipes(&offline);
    assert!(names.len() >= 6, "build.sh lists its recipes: {names:?}");
    for name in &names {
        assert_eq!(offline_tag(&root, name).unwrap(), bash_tag(&offline, name), "recipe {name}");
    }
}

#[test]
fn edited_content_and_executable_bits_change_the_tag_as_build_sh_does() {
    use std::os::unix::fs::PermissionsExt as _;
    let root = aiwah_harness::repo::this_checkout();
    let before = copy_of_offline(&root);
    let after = copy_of_offline(&root);
    let recipe = after.path().join("stacks/offline/placeholder");
    let script = recipe.join("placeholder.pl");
    std::fs::write(&script, std::fs::read_to_string(&script).unwrap() + "# edited\n").unwrap();
    let dockerfile = recipe.join("Dockerfile");
    let mode = std::fs::metadata(&dockerfile).unwrap().permissions().mode();
    std::fs::set_permissions(&dockerfile, std::fs::Permissions::from_mode(mode ^ 0o100)).unwrap();
    // A new file in a subfolder counts too (find walks the whole recipe folder).
    std::fs::create_dir_all(recipe.join("sub/dir")).unwrap();
    std::fs::write(recipe.join("sub/dir/extra.txt"), "x").unwrap();

    let (old, new) = (offline_tag(before.path(), "placeholder").unwrap(), offline_tag(after.path(), "placeholder").unwrap());
    assert_ne!(old, new, "an edited recipe gets a new tag");
    assert_eq!(old, bash_tag(&before.path().join("stacks/offline"), "placeholder"));
    assert_eq!(new, bash_tag(&after.path().join("stacks/offline"), "placeholder"));
    // A child recipe's tag follows its parent's (base → placeholder).
    std::fs::write(after.path().join("stacks/offline/base/recipe.sh"), "RECIPE_PARENT=\n# edited base\n").unwrap();
    let other = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(other.path().join("stacks")).unwrap();
    assert!(Command::new("cp").arg("-a").arg(after.path().join("stacks/offline")).arg(other.path().join("stacks/")).status().unwrap().success());
    assert_eq!(offline_tag(other.path(), "placeholder").unwrap(), bash_tag(&other.path().join("stacks/offline"), "placeholder"));
    assert_ne!(offline_tag(other.path(), "placeholder").unwrap(), new, "the parent's hash is part of the child's");
}

#[test]
fn an_unknown_recipe_is_an_error_naming_it() {
    let root = aiwah_harness::repo::this_checkout();
    let err = offline_tag(&root, "no-such-recipe").unwrap_err().to_string();
    assert!(err.contains("stacks/offline/no-such-recipe"), "{err}");
}
