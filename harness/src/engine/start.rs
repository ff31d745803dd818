//! Starting one stack and waiting until it is healthy, with a progress line per service and a deadline
//! that names what it waited for. Compose keeps its own `depends_on` conditions; the harness watches.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::engine::deployment::Deployment;
use crate::engine::overrides::labels;
use crate::engine::plan::Tier;
use crate::problem::{Problem, Result};
use crate::stack::compose;

/// Where progress lines go (stderr for the CLI, nowhere for quiet callers).
pub type Progress<'a> = &'a (dyn Fn(&str) + Sync);

pub fn quiet(_: &str) {}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceState {
    pub service: String,
    pub state: String,
    pub health: String,
    /// The tier its container carries (label `io.aiwah.tier`, set when it was created).
    pub tier: Option<Tier>,
    /// Container port → host port, for ports the engine published.
    pub host_ports: BTreeMap<u16, u16>,
}

impl ServiceState {
    /// Running, and healthy if it has a health check.
    pub fn is_ready(&self) -> bool {
        self.state == "running" && (self.health.is_empty() || self.health == "healthy")
    }

    fn describe(&self) -> String {
        if self.health.is_empty() { self.state.clone() } else { format!("{} ({})", self.state, self.health) }
    }
}

impl Deployment {
    /// `docker compose up --detach` for `stack`, then watch until every service is ready or `deadline` passes.
    pub fn start_stack(&self, stack: &str, deadline: Duration, progress: Progress) -> Result<()> {
        let invocation = self.platform.invocation(self.platform.stack(stack)?, &self.opts)?;
        let child = self
            .compose
            .command(&invocation)
            .args(["up", "--detach", "--no-build", "--quiet-pull", "--remove-orphans"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| Problem::new("docker compose up", format!("cannot start: {e}")))?;
        self.watch(stack, deadline, progress, Some(child))
    }

    /// Watch `stack` until every service is ready or `deadline` passes, starting nothing (after a restart).
    pub fn wait_ready(&self, stack: &str, deadline: Duration, progress: Progress) -> Result<()> {
        self.watch(stack, deadline, progress, None)
    }

    fn watch(&self, stack: &str, deadline: Duration, progress: Progress, mut compose_up: Option<std::process::Child>) -> Result<()> {
        let started = Instant::now();
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        loop {
            let states = self.states(stack).unwrap_or_default();
            for s in &states {
                let now = s.describe();
                if seen.get(&s.service) != Some(&now) {
                    progress(&format!("{stack}/{}: {now} (+{:.1}s)", s.service, started.elapsed().as_secs_f64()));
                    seen.insert(s.service.clone(), now);
                }
            }
            if let Some(child) = compose_up.as_mut() {
                if let Some(status) = child.try_wait().map_err(|e| Problem::new("docker compose up", e.to_string()))? {
                    if !status.success() {
                        let mut err = String::new();
                        if let Some(mut pipe) = child.stderr.take() {
                            use std::io::Read;
                            let _ = pipe.read_to_string(&mut err);
                        }
                        return Err(self.explain_start_failure(stack, &err));
                    }
                    compose_up = None;
                }
            }
            let expected = self.models.iter().find(|m| m.stack == stack).map(|m| m.config.services.len()).unwrap_or(0);
            if compose_up.is_none() && states.len() >= expected && states.iter().all(ServiceState::is_ready) {
                return Ok(());
            }
            if started.elapsed() >= deadline {
                if let Some(mut child) = compose_up {
                    let _ = child.kill();
                    let _ = child.wait();
                }
                let waiting: Vec<String> = states.iter().filter(|s| !s.is_ready()).map(|s| format!("{stack}/{} {}", s.service, s.describe())).collect();
                let logs = self.last_log_lines(stack, states.iter().filter(|s| !s.is_ready()).map(|s| s.service.as_str()));
                return Err(Problem::new(
                    format!("stack {stack}"),
                    format!(
                        "not healthy after {}s: waited for {}; last log lines — {}",
                        deadline.as_secs(),
                        if waiting.is_empty() { "compose to finish starting".to_string() } else { waiting.join(", ") },
                        logs.join(" ;; ")
                    ),
                ));
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    fn explain_start_failure(&self, stack: &str, stderr: &str) -> Problem {
        let line = crate::problem::last_line(stderr, "docker compose up failed");
        if line.contains("port is already allocated") || line.contains("address already in use") {
            return Problem::new(format!("stack {stack}"), format!("a host port is in use: {line}"))
                .hint("stop what holds it (cargo xtask doctor lists the ports), or change its *_PORT in .env");
        }
        let unhealthy: Vec<String> = self.states(stack).unwrap_or_default().into_iter().filter(|s| !s.is_ready()).map(|s| s.service).collect();
        let logs = self.last_log_lines(stack, unhealthy.iter().map(String::as_str));
        Problem::new(format!("stack {stack}"), format!("{line}; last log lines — {}", logs.join(" ;; ")))
    }

    /// `service: line | line | ...` with the last log lines of each of `services`, for a failure report.
    fn last_log_lines<'a>(&self, stack: &str, services: impl Iterator<Item = &'a str>) -> Vec<String> {
        services.map(|s| format!("{s}: {}", self.logs(stack, s, 5).unwrap_or_default().lines().map(str::trim).collect::<Vec<_>>().join(" | "))).collect()
    }

    /// `docker compose ps --all` of `stack`: one JSON object per container (full IDs).
    pub fn compose_ps(&self, stack: &str) -> Result<Vec<serde_json::Value>> {
        let invocation = self.platform.invocation(self.platform.stack(stack)?, &self.opts)?;
        let out = compose::run(self.compose.command(&invocation).args(["ps", "--all", "--no-trunc", "--format", "json"]), "docker compose ps")?;
        let text = String::from_utf8_lossy(&out.stdout);
        // Compose prints one JSON object per line (older versions: one array).
        Ok(match serde_json::from_str::<serde_json::Value>(text.trim()) {
            Ok(serde_json::Value::Array(items)) => items,
            _ => text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect(),
        })
    }

    /// Every container of `stack` with its state and health.
    pub fn states(&self, stack: &str) -> Result<Vec<ServiceState>> {
        Ok(self
            .compose_ps(stack)?
            .iter()
            .map(|v| ServiceState {
                service: v["Service"].as_str().unwrap_or_default().to_string(),
                state: v["State"].as_str().unwrap_or_default().to_string(),
                health: v["Health"].as_str().unwrap_or_default().to_string(),
                // Compose joins the labels with commas; the tier's value never holds one.
                tier: v["Labels"]
                    .as_str()
                    .unwrap_or_default()
                    .split(',')
                    .find_map(|l| l.strip_prefix(&format!("{}=", labels::TIER)))
                    .and_then(Tier::from_label),
                host_ports: v["Publishers"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|p| Some((u16::try_from(p["TargetPort"].as_u64()?).ok()?, u16::try_from(p["PublishedPort"].as_u64()?).ok()?)))
                    .filter(|(_, published)| *published != 0)
                    .collect(),
            })
            .collect())
    }
}
