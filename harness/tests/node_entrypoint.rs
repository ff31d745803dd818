//! stacks/offline/node/docker-entrypoint.sh decides like the official node image's entrypoint whether
//! `docker run IMAGE ARGS` means `node ARGS` or the command ARGS: run with /bin/sh on this machine, with a
//! stub `node` and a stub command on PATH that print how they were called.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

fn stub(dir: &Path, name: &str) {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\necho {name} \"$@\"\n")).expect("write stub");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod stub");
}

/// What the entrypoint ends up running for `args`, as the stubs print it.
fn runs(work: &Path, args: &[&str]) -> String {
    let script = aiwah_harness::repo::this_checkout().join("stacks/offline/node/docker-entrypoint.sh");
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
