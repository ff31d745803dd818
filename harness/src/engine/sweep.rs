//! Finding and removing what dead runs left behind. Every resource a deployment creates carries the
//! run that created it (`<pid>@<process start time>` on this host); a run whose process is gone — a
//! SIGKILL, a crash, a pulled plug — is swept by the next run.

use crate::engine::docker::{self, Kind};
use crate::engine::overrides::labels;
use crate::problem::Result;

/// This process's run id: pid plus its start time (in clock ticks since boot), so a reused pid
/// is not mistaken for a live run.
pub fn this_run() -> String {
    run_of(std::process::id()).unwrap_or_else(|| format!("{}@0", std::process::id()))
}

/// The run id of process `pid`, if it exists.
pub fn run_of(pid: u32) -> Option<String> {
    start_time(pid).map(|t| format!("{pid}@{t}"))
}

fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Field 22; the command name (field 2) may hold spaces, so count from its closing paren.
    let after = &stat[stat.rfind(')')? + 2..];
    after.split_whitespace().nth(19)?.parse().ok()
}

/// Whether the process that created `run` still exists.
pub fn run_is_alive(run: &str) -> bool {
    let Some((pid, started)) = run.split_once('@') else { return false };
    let (Ok(pid), Ok(started)) = (pid.parse::<u32>(), started.parse::<u64>()) else { return false };
    start_time(pid) == Some(started)
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Swept {
    pub containers: Vec<String>,
    pub networks: Vec<String>,
    pub volumes: Vec<String>,
}

impl Swept {
    pub fn is_empty(&self) -> bool {
        self.containers.is_empty() && self.networks.is_empty() && self.volumes.is_empty()
    }
}

/// Remove every ephemeral resource whose run is dead. Persistent deployments are never swept.
pub fn sweep_dead_runs() -> Result<Swept> {
    let ephemeral = format!("{}=true", labels::EPHEMERAL);
    let mut swept = Swept::default();
    // Containers first: networks and volumes in use cannot be removed.
    for (kind, bucket) in [(Kind::Container, 0), (Kind::Network, 1), (Kind::Volume, 2)] {
        let mut dead = Vec::new();
        for name in docker::list(kind, &ephemeral)? {
            let run = docker::label_of(kind, &name, labels::RUN).unwrap_or(None).unwrap_or_default();
            if !run_is_alive(&run) {
                dead.push(name);
            }
        }
        docker::remove(kind, &dead)?;
        match bucket {
            0 => swept.containers = dead,
            1 => swept.networks = dead,
            _ => swept.volumes = dead,
        }
    }
    Ok(swept)
}

/// Everything labelled with `deployment`, by kind (for leak checks).
pub fn resources_of(deployment: &str) -> Result<Swept> {
    let label = format!("{}={deployment}", labels::DEPLOYMENT);
    Ok(Swept { containers: docker::list(Kind::Container, &label)?, networks: docker::list(Kind::Network, &label)?, volumes: docker::list(Kind::Volume, &label)? })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_run_is_alive_and_others_are_not() {
        assert!(run_is_alive(&this_run()));
        let pid = std::process::id();
        assert!(!run_is_alive(&format!("{pid}@1")), "same pid, other start time: a reused pid");
        assert!(!run_is_alive("4194304@1"), "no such pid");
        assert!(!run_is_alive("garbage"));
    }
}
