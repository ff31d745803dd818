//! Facts `release.toml` records about where a sign-off ran: time, commit, tools, machine.

use std::path::Path;
use std::process::Command;

use aiwah_harness::engine::docker::docker;
use aiwah_harness::{Problem, Problems};

/// The commit checked out at `root`, and whether the tree differs from it.
pub fn git(root: &Path) -> Result<(String, bool), Problems> {
    let commit = output(Command::new("git").args(["rev-parse", "HEAD"]).current_dir(root), "git rev-parse")?;
    let status = output(Command::new("git").args(["status", "--porcelain", "--untracked-files=no"]).current_dir(root), "git status")?;
    Ok((commit, !status.is_empty()))
}

/// The engine's version (`docker version`), e.g. `20.10.24+dfsg1 (API 1.41)`.
pub fn engine_version() -> Result<String, Problems> {
    let out = docker(&["version", "--format", "{{.Server.Version}} (API {{.Server.APIVersion}})"])?;
    Ok(out.trim().to_string())
}

/// `<hostname>: <kernel> <arch>, <cpus> CPUs, <memory>`.
pub fn machine() -> String {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default().trim().to_string();
    let memory =
        read("/proc/meminfo").lines().find(|l| l.starts_with("MemTotal:")).map(|l| l.trim_start_matches("MemTotal:").trim().to_string()).unwrap_or_default();
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    format!("{}: Linux {} {}, {cpus} CPUs, {memory} memory", read("/proc/sys/kernel/hostname"), read("/proc/sys/kernel/osrelease"), std::env::consts::ARCH)
}

fn output(cmd: &mut Command, what: &str) -> Result<String, Problems> {
    let out = cmd.output().map_err(|e| Problem::new(what, format!("cannot run: {e}")))?;
    if !out.status.success() {
        return Err(Problem::new(what, String::from_utf8_lossy(&out.stderr).trim().to_string()).into());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}
