//! An ephemeral copy interrupted by SIGINT/SIGTERM tears itself down; one killed by SIGKILL leaves
//! labelled leftovers that the next run's sweep removes. Real binary, real engine, offline images.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use aiwah_harness::engine::sweep;

/// Start `xtask copy n8n` and wait until it says it is ready; its deployment id.
fn start_copy() -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["copy", "n8n", "--offline", "--timeout", "240"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("ready: deployment ") {
            let id = rest.split_whitespace().next().unwrap().to_string();
            return (child, id);
        }
    }
    panic!("xtask copy ended before it was ready: {:?}", child.wait());
}

fn signal(child: &Child, name: &str) {
    assert!(Command::new("kill").args([&format!("-{name}"), &child.id().to_string()]).status().unwrap().success());
}

#[test]
fn sigint_tears_the_copy_down() {
    let (mut child, id) = start_copy();
    assert!(!sweep::resources_of(&id).unwrap().is_empty(), "the copy is running");
    signal(&child, "INT");
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "exit status after SIGINT");
    let left = sweep::resources_of(&id).unwrap();
    assert!(left.is_empty(), "SIGINT left {left:?}");
    assert!(!std::env::temp_dir().join(format!("aiwah-{id}")).exists(), "SIGINT left the work folder");
}

#[test]
fn sigterm_tears_the_copy_down() {
    let (mut child, id) = start_copy();
    signal(&child, "TERM");
    assert_eq!(child.wait().unwrap().code(), Some(143));
    assert!(sweep::resources_of(&id).unwrap().is_empty());
}

#[test]
fn sigkill_leftovers_are_swept_by_the_next_run() {
    let (mut child, id) = start_copy();
    signal(&child, "KILL");
    child.wait().unwrap();
    let left = sweep::resources_of(&id).unwrap();
    assert!(!left.containers.is_empty() && !left.volumes.is_empty(), "a killed run cannot clean up: {left:?}");
    // Tests running beside this one sweep too (every new copy does), so what proves the sweep is
    // what is left, not which sweep reported what.
    let swept = sweep::sweep_dead_runs();
    let after = sweep::resources_of(&id).unwrap();
    assert!(after.is_empty(), "the sweep left {after:?} of {left:?} (swept here: {swept:?})");
    assert!(!std::env::temp_dir().join(format!("aiwah-{id}")).exists(), "the dead copy's work folder (its secrets) is removed too");
}
