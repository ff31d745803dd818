//! The entrypoints of the offline node and n8n images behave like the official images' ones, run with
//! /bin/sh on this machine against stub commands on PATH that print how they were called: node's decides
//! whether `docker run IMAGE ARGS` means `node ARGS` or the command ARGS; n8n's runs `n8n ARGS`.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

fn stub(dir: &Path, name: &str) {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\necho {name} \"$@\"\n")).expect("write stub");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod stub");
}

/// What `entrypoint` (under stacks/offline) ends up running for `args`, as the stubs print it.
fn runs_with(entrypoint: &str, work: &Path, args: &[&str]) -> String {
    let script = aiwah_harness::repo::this_checkout().join("stacks/offline").join(entrypoint);
    let out = Command::new("/bin/sh")
        .arg(script)
        .args(args)
        .current_dir(work)
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", work.join("bin").display()))
        .output()
        .expect("sh runs");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn runs(work: &Path, args: &[&str]) -> String {
    runs_with("node/docker-entrypoint.sh", work, args)
}

#[test]
fn arguments_go_to_node_unless_they_name_a_command() {
    let work = tempfile::tempdir().expect("temp dir");
    let bin = work.path().join("bin");
    std::fs::create_dir(&bin).expect("bin");
    stub(&bin, "node");
    stub(&bin, "mytool");
    std::fs::write(work.path().join("app.js"), "console.log(1)\n").expect("app.js");
    stub(work.path(), "run.sh");

    let cases: [(&[&str], &str); 8] = [
        (&[], "node"),
        (&["-e", "1+1"], "node -e 1+1"),
        (&["--version"], "node --version"),
        (&["app.js", "x"], "node app.js x"),
        // A path is a command to `command -v` when it exists; a plain, non-executable file still goes to node.
        (&["./app.js"], "node ./app.js"),
        (&["no-such-command", "y"], "node no-such-command y"),
        (&["mytool", "a", "b"], "mytool a b"),
        (&["./run.sh", "z"], "run.sh z"),
    ];
    for (args, expected) in cases {
        assert_eq!(runs(work.path(), args), expected, "docker run IMAGE {args:?}");
    }
}

#[test]
fn n8n_runs_its_arguments_as_a_subcommand_and_starts_without_any() {
    let work = tempfile::tempdir().expect("temp dir");
    let bin = work.path().join("bin");
    std::fs::create_dir(&bin).expect("bin");
    stub(&bin, "n8n");
    let cases: [(&[&str], &str); 3] =
        [(&[], "n8n"), (&["start"], "n8n start"), (&["import:workflow", "--input=/w.json"], "n8n import:workflow --input=/w.json")];
    for (args, expected) in cases {
        assert_eq!(runs_with("n8n/docker-entrypoint.sh", work.path(), args), expected, "docker run IMAGE {args:?}");
    }
}
