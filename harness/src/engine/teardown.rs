//! Tearing a deployment down — on `down`, on drop, and on SIGINT/SIGTERM. Ephemeral deployments
//! register here; a signal tears every registered one down before the process exits. What a SIGKILL
//! leaves behind is for [`crate::engine::sweep`].

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Mutex, Once};

use crate::engine::docker::{self, Kind};
use crate::engine::overrides::labels;
use crate::problem::{Problem, Result};
use crate::stack::compose::{self, Compose, Invocation};

/// Everything needed to remove a deployment, without the deployment itself.
#[derive(Debug, Clone)]
pub struct Teardown {
    pub deployment: String,
    pub compose: Compose,
    /// One per stack, in start order (removed in reverse).
    pub invocations: Vec<Invocation>,
    /// Ephemeral: volumes, the deployment's networks and its work folder go too.
    pub ephemeral: bool,
    /// Images this deployment built from source (tagged by its build arguments): removed with an
    /// ephemeral copy, since no other deployment has its keys.
    pub built_images: Vec<String>,
    pub workdir: PathBuf,
}

impl Teardown {
    pub fn run(&self) -> Result<()> {
        if self.ephemeral && self.remove_labelled().is_ok_and(|left| left.is_empty()) {
            return Ok(());
        }
        self.run_by_compose().map_err(|problem| self.explain(problem))
    }

    /// An engine that no longer answers (dockerd stopped mid-run) is named as the cause, in one
    /// line that says what happens to the leftovers, instead of the first call that failed on it.
    fn explain(&self, problem: Problem) -> Problem {
        match docker::engine_version() {
            Ok(_) => problem,
            Err(_) => Problem::new(docker::engine_name(), format!("not reachable ({})", problem.message)).hint(format!(
                "deployment {}'s containers, networks and volumes are left; the next run on this engine sweeps them{}",
                self.deployment,
                if self.ephemeral { "" } else { " (persistent: cargo xtask down once the engine is back)" }
            )),
        }
    }

    /// An ephemeral copy's data goes anyway: every container of it is killed and removed in one
    /// call (the engine does them in parallel), then its networks and volumes — instead of a
    /// graceful `compose down` per stack, in turn, of up to 10 s each. What is left (a container a
    /// start still running created meanwhile) is returned for the compose path.
    fn remove_labelled(&self) -> Result<Vec<String>> {
        let label = format!("{}={}", labels::DEPLOYMENT, self.deployment);
        docker::remove(Kind::Container, &docker::list(Kind::Container, &label)?)?;
        // A network that will not go does not keep the volumes: they are removed anyway, then it is named.
        let networks: Vec<Result<()>> = docker::list(Kind::Network, &label)?.iter().map(|n| crate::engine::sweep::remove_network(n)).collect();
        docker::remove(Kind::Volume, &docker::list(Kind::Volume, &label)?)?;
        self.remove_built_images_and_workdir();
        networks.into_iter().collect::<Result<Vec<()>>>()?;
        let mut left = docker::list(Kind::Container, &label)?;
        left.extend(docker::list(Kind::Network, &label)?);
        left.extend(docker::list(Kind::Volume, &label)?);
        Ok(left)
    }

    fn remove_built_images_and_workdir(&self) {
        for image in &self.built_images {
            let _ = docker::docker(&["image", "rm", "--force", image]);
        }
        let _ = std::fs::remove_dir_all(&self.workdir);
    }

    /// Stop and remove by compose, stack by stack in reverse start order (the persistent deployment
    /// keeps its volumes); for a copy, then whatever still carries its label.
    fn run_by_compose(&self) -> Result<()> {
        let mut first_error = None;
        for invocation in self.invocations.iter().rev() {
            let mut cmd = self.compose.command(invocation);
            cmd.args(["down", "--remove-orphans", "--timeout", "10"]);
            if self.ephemeral {
                cmd.arg("--volumes");
            }
            match compose::run(&mut cmd, "docker compose down") {
                Ok(out) if !out.status.success() => {
                    first_error.get_or_insert(Problem::new(format!("project {}", invocation.project), String::from_utf8_lossy(&out.stderr).trim().to_string()));
                }
                Err(p) => {
                    first_error.get_or_insert(p);
                }
                Ok(_) => {}
            }
        }
        if self.ephemeral {
            let label = format!("{}={}", labels::DEPLOYMENT, self.deployment);
            // Probe containers and anything compose did not create (the copy's shared network).
            for kind in [Kind::Container, Kind::Network, Kind::Volume] {
                if let Err(p) = docker::list(kind, &label).and_then(|names| docker::remove(kind, &names)) {
                    first_error.get_or_insert(p);
                }
            }
            self.remove_built_images_and_workdir();
        }
        first_error.map_or(Ok(()), Err)
    }
}

static LIVE: Mutex<BTreeMap<String, Teardown>> = Mutex::new(BTreeMap::new());
static HANDLER: Once = Once::new();

/// Tear `teardown` down if the process is interrupted before [`unregister`].
pub fn register(teardown: Teardown) {
    install_handler();
    LIVE.lock().unwrap_or_else(|e| e.into_inner()).insert(teardown.deployment.clone(), teardown);
}

pub fn unregister(deployment: &str) {
    LIVE.lock().unwrap_or_else(|e| e.into_inner()).remove(deployment);
}

fn install_handler() {
    HANDLER.call_once(|| {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
            eprintln!("aiwah: cannot install the SIGINT/SIGTERM handler; an interrupted run leaves its copy for the next sweep");
            return;
        };
        std::thread::spawn(move || {
            if let Some(signal) = signals.forever().next() {
                let live: Vec<Teardown> = std::mem::take(&mut *LIVE.lock().unwrap_or_else(|e| e.into_inner())).into_values().collect();
                for teardown in live {
                    eprintln!("aiwah: interrupted: tearing down deployment {}", teardown.deployment);
                    if let Err(problem) = teardown.run() {
                        eprintln!("aiwah: teardown of {}: {problem}", teardown.deployment);
                    }
                }
                std::process::exit(128 + signal);
            }
        });
    });
}
