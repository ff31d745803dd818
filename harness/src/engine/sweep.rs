//! Finding and removing what dead runs left behind. Every resource a deployment creates carries the
//! run that created it (`<pid>@<process start time>@<boot id>`); a run of this machine's current boot
//! whose process is gone — a SIGKILL, a crash — is swept by the next run. Runs of another machine or
//! boot (a shared engine) cannot be judged from here and are left alone.

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
    start_time(pid).map(|t| format!("{pid}@{t}@{}", boot_id()))
}

/// This boot of this machine (the kernel's random boot id, shortened).
fn boot_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|s| s.trim().chars().filter(|c| *c != '-').take(12).collect())
        .unwrap_or_else(|_| "unknown".into())
}

fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces, so count from its closing paren: field 3 is the
    // state, field 22 the start time.
    let mut fields = stat[stat.rfind(')')? + 2..].split_whitespace();
    // A zombie has ended; its parent just has not reaped it yet (Rust's `Command::output` reads the
    // child's pipes to the end first — which a holder keeping the run's stderr open would never let happen).
    if matches!(fields.next()?, "Z" | "X") {
        return None;
    }
    fields.nth(18)?.parse().ok()
}

/// Whether the process that created `run` may still exist. Runs of another boot or machine count as
/// alive: only this machine's processes can be checked.
pub fn run_is_alive(run: &str) -> bool {
    let mut parts = run.split('@');
    let (Some(pid), Some(started), boot) = (parts.next(), parts.next(), parts.next()) else { return false };
    if boot.is_some_and(|b| b != boot_id()) || boot_id() == "unknown" {
        return true;
    }
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

/// Remove every ephemeral resource whose run is dead. Persistent deployments are never swept. Best
/// effort: what cannot be removed now (a race with another sweep) is reported and left for later.
pub fn sweep_dead_runs() -> Swept {
    let ephemeral = format!("{}=true", labels::EPHEMERAL);
    let mut swept = Swept::default();
    // Containers first: networks and volumes in use cannot be removed.
    for (kind, bucket) in [(Kind::Container, 0), (Kind::Network, 1), (Kind::Volume, 2)] {
        let mut dead = Vec::new();
        for name in docker::list(kind, &ephemeral).unwrap_or_default() {
            let run = docker::label_of(kind, &name, labels::RUN).unwrap_or(None).unwrap_or_default();
            if !run_is_alive(&run) {
                // A dead copy's work folder (its .env with secrets, its overrides) goes too.
                if let Ok(Some(deployment)) = docker::label_of(kind, &name, labels::DEPLOYMENT) {
                    if deployment.chars().all(|c| c.is_ascii_hexdigit()) {
                        let _ = std::fs::remove_dir_all(std::env::temp_dir().join(format!("aiwah-{deployment}")));
                    }
                }
                dead.push(name);
            }
        }
        let mut removed = Vec::new();
        for name in dead {
            let result = if kind == Kind::Network { remove_network(&name) } else { docker::remove(kind, std::slice::from_ref(&name)) };
            match result {
                Ok(()) => removed.push(name),
                Err(p) => eprintln!("aiwah: sweep: {p}"),
            }
        }
        let dead = removed;
        match bucket {
            0 => swept.containers = dead,
            1 => swept.networks = dead,
            _ => swept.volumes = dead,
        }
    }
    swept
}

/// Remove a dead run's network. One the engine still counts endpoints on — a container of another
/// owner joined to it, or an endpoint an aborted start left behind — is force-disconnected from
/// every endpoint the engine lists, then removed. An endpoint it counts but lists nowhere cannot be
/// named to the engine: the problem names the network and the remedy.
pub fn remove_network(name: &str) -> Result<()> {
    match docker::remove(Kind::Network, &[name.to_string()]) {
        Ok(()) => return Ok(()),
        Err(p) if p.message.contains("has active endpoints") => {}
        Err(p) => return Err(p),
    }
    let endpoints = docker::network_endpoints(name)?;
    for endpoint in &endpoints {
        docker::disconnect_force(name, endpoint)?;
    }
    docker::remove(Kind::Network, &[name.to_string()]).map_err(|again| {
        let listed = if endpoints.is_empty() { "lists none".to_string() } else { format!("still has some after disconnecting {}", endpoints.join(", ")) };
        crate::problem::Problem::new(format!("network {name}"), format!("the engine counts active endpoints on it but {listed} ({})", again.message))
            .hint(format!(
                "restart the Docker engine to clear stale endpoints (`systemctl restart docker`; without systemd stop dockerd, then `bash stacks/offline/engine.sh`), then `docker network rm {name}`"
            ))
    })
}

/// Everything labelled with `deployment`, by kind (for leak checks).
pub fn resources_of(deployment: &str) -> Result<Swept> {
    let label = format!("{}={deployment}", labels::DEPLOYMENT);
    Ok(Swept {
        containers: docker::list(Kind::Container, &label)?,
        networks: docker::list(Kind::Network, &label)?,
        volumes: docker::list(Kind::Volume, &label)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_run_is_alive_and_others_are_not() {
        assert!(run_is_alive(&this_run()));
        let pid = std::process::id();
        assert!(!run_is_alive(&format!("{pid}@1@{}", boot_id())), "same pid, other start time: a reused pid");
        assert!(!run_is_alive(&format!("4194304@1@{}", boot_id())), "no such pid");
        assert!(run_is_alive("4194304@1@0123456789ab"), "another machine's run is not ours to judge");
        assert!(!run_is_alive("garbage"));
    }

    #[test]
    fn an_ended_child_not_yet_reaped_is_not_alive() {
        let mut child = std::process::Command::new("sleep").arg("0.3").spawn().unwrap();
        let run = format!("{}@{}@{}", child.id(), start_time(child.id()).expect("a running child has a start time"), boot_id());
        assert!(run_is_alive(&run), "control: the child runs");
        std::thread::sleep(std::time::Duration::from_millis(800));
        assert!(!run_is_alive(&run), "the child exited and is a zombie until reaped: its run has ended");
        child.wait().unwrap();
    }
}
