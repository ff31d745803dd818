//! Live isolation probes: from the network position of every running service, open TCP connections to
//! every database — by service name, by alias and by IP. Another stack's database must be unreachable;
//! the own stack's database must answer (the positive control that proves the probe can succeed).

use std::collections::BTreeSet;
use std::fmt;

use crate::engine::deployment::Deployment;
use crate::engine::docker;
use crate::engine::overrides::labels;
use crate::problem::{Problem, Result};
use crate::stack::manifest::{Manifest, Role};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Open,
    Refused,
    TimedOut,
    /// The name does not resolve from there.
    Unresolvable,
}

#[derive(Debug, Clone)]
pub struct Probe {
    pub from: String,
    pub to: String,
    /// Service name, alias or IP address used.
    pub via: String,
    pub port: u16,
    pub outcome: Outcome,
    /// Same stack: must be open. Other stack: must not be.
    pub expect_open: bool,
}

impl Probe {
    pub fn holds(&self) -> bool {
        (self.outcome == Outcome::Open) == self.expect_open
    }
}

impl fmt::Display for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} → {} via {}:{}: {:?} (expected {})",
            self.from,
            self.to,
            self.via,
            self.port,
            self.outcome,
            if self.expect_open { "open" } else { "unreachable" }
        )
    }
}

struct Target {
    id: String,
    stack: String,
    port: u16,
    addresses: BTreeSet<String>,
}

/// Probe every position against every database; `probe_image` must have bash and coreutils.
pub fn matrix(deployment: &Deployment, probe_image: &str) -> Result<Vec<Probe>> {
    probes(deployment, probe_image, |_| true)
}

/// Probe from one position (`stack/service`) against every database.
pub fn from_position(deployment: &Deployment, probe_image: &str, position: &str) -> Result<Vec<Probe>> {
    let probes = probes(deployment, probe_image, |from| from == position)?;
    if probes.is_empty() {
        return Err(Problem::new(format!("position {position}"), "no such service in this deployment (or no database to probe)"));
    }
    Ok(probes)
}

fn probes(deployment: &Deployment, probe_image: &str, wanted: impl Fn(&str) -> bool) -> Result<Vec<Probe>> {
    let manifest = Manifest::load(&deployment.root)?;
    let mut targets = Vec::new();
    let mut positions = Vec::new();
    for model in &deployment.models {
        for (name, service) in &model.config.services {
            let container = deployment.container(&model.stack, name)?;
            positions.push((format!("{}/{name}", model.stack), model.stack.clone(), container.clone()));
            let official = service.labels.get(labels::OFFICIAL_IMAGE).cloned().unwrap_or_default();
            let Some((_, entry)) = manifest.by_image(&official) else { continue };
            if entry.role != Role::Database {
                continue;
            }
            let mut addresses: BTreeSet<String> = BTreeSet::from([name.clone()]);
            addresses.extend(service.networks.values().flatten().flat_map(|a| a.aliases.clone()));
            addresses.extend(docker::container_ips(&container)?);
            targets.push(Target { id: format!("{}/{name}", model.stack), stack: model.stack.clone(), port: entry.listens[0], addresses });
        }
    }
    let mut probes = Vec::new();
    for (from, from_stack, container) in positions.iter().filter(|(from, _, _)| wanted(from)) {
        // All probes of one position run at once (timeouts would otherwise add up); answers are
        // printed in order afterwards.
        let mut script = String::from("d=$(mktemp -d)\n");
        let mut order = Vec::new();
        for target in targets.iter().filter(|t| &t.id != from) {
            for via in &target.addresses {
                // Names come from compose files: only plain host names and IPs go into the script.
                if !via.chars().all(|c| c.is_ascii_alphanumeric() || ".-_:".contains(c)) {
                    return Err(Problem::new(format!("service {}", target.id), format!("refusing to probe the address {via:?}: not a plain host name or IP")));
                }
                let i = order.len();
                // For names, getent first: "does not resolve" and "refused" are different findings. An IP
                // needs no lookup (and a reverse lookup fails off-network): connect straight away.
                let resolves = if via.parse::<std::net::IpAddr>().is_ok() { "true".to_string() } else { format!("getent hosts '{via}' >/dev/null") };
                script.push_str(&format!(
                    "( if ! {resolves}; then echo U; else timeout 3 bash -c 'exec 3<>/dev/tcp/{via}/{}' 2>/dev/null; r=$?; if [ $r -eq 0 ]; then echo O; elif [ $r -eq 124 ]; then echo T; else echo R; fi; fi ) > $d/{i} &\n",
                    target.port
                ));
                order.push((target, via.clone()));
            }
        }
        script.push_str("wait\n");
        script.push_str(&format!("for i in $(seq 0 {}); do cat $d/$i; done\n", order.len().saturating_sub(1)));
        if order.is_empty() {
            continue;
        }
        let network = format!("container:{container}");
        let out = docker::docker(&[
            "run",
            "--rm",
            "--network",
            &network,
            "--label",
            &format!("{}={}", labels::DEPLOYMENT, deployment.id()),
            "--label",
            &format!("{}={}", labels::RUN, deployment.owner.run),
            "--label",
            &format!("{}=true", labels::EPHEMERAL),
            "--entrypoint",
            "bash",
            probe_image,
            "-c",
            &script,
        ])
        .map_err(|p| Problem::new(format!("probe from {from}"), p.to_string()))?;
        let answers: Vec<&str> = out.lines().collect();
        if answers.len() != order.len() {
            return Err(Problem::new(format!("probe from {from}"), format!("expected {} answers, got {}", order.len(), answers.len())));
        }
        for ((target, via), answer) in order.into_iter().zip(answers) {
            let outcome = match answer.trim() {
                "O" => Outcome::Open,
                "T" => Outcome::TimedOut,
                "U" => Outcome::Unresolvable,
                _ => Outcome::Refused,
            };
            probes.push(Probe { from: from.clone(), to: target.id.clone(), via, port: target.port, outcome, expect_open: &target.stack == from_stack });
        }
    }
    Ok(probes)
}
