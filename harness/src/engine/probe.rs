//! Live isolation probes: from the network position of every running service, open TCP connections to
//! every port of every database — by every name the engine's DNS knows it by, and by every IP address.
//! Another stack's database must be unreachable; the own stack's database must answer (the positive
//! control that proves the probe can succeed).
//!
//! A position is a service's network namespace: a short-lived probe container joins it
//! (`--network container:<id>`, which also shares its hosts file and resolver) and makes every
//! attempt at once. Positions run concurrently, so the matrix takes about one container start plus
//! one [`CONNECT_TIMEOUT`], not their sum over positions.

mod answer;
mod containers;

use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

use crate::engine::deployment::Deployment;
use crate::engine::docker;
use crate::engine::overrides::labels;
use crate::problem::{Problem, Result};
use crate::stack::manifest::{Manifest, Role};

/// How long an attempt waits for its TCP connection before the finding is [`Outcome::TimedOut`] —
/// the figure every "unreachable by IP" verdict rests on. Between Docker networks the engine's
/// isolation rules DROP packets, so a connection there never fails, it only never completes: the
/// timeout is the finding, and it is sound only if a *reachable* peer always completes well within
/// it. On a bridge the peer's kernel answers the SYN itself (no process of the peer is scheduled),
/// within a millisecond plus one ARP exchange, and the probe starts every connection at once from
/// one process and looks once more after the deadline, so its own scheduling cannot turn a
/// completed handshake into a timeout. Positive controls here complete within the probe's 10 ms
/// clock even at a load average of 30 on 2 cores (`cargo bench --bench deploy` prints the slowest
/// of each run). 1.5 s is over a hundred times that, and outlasts one lost SYN (Linux resends the
/// first SYN after 1 s) and one lost ARP request (resent after 1 s).
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(1500);

/// How long a name lookup may take before the name counts as [`Outcome::Unresolvable`]. The
/// engine's DNS (127.0.0.11) answers the names of containers sharing one of the position's
/// networks from its own table, at once; only names it does not know go to the host's resolvers,
/// which answer within milliseconds here or — from a container only on `internal` networks — never
/// (measured: still pending at this deadline). A lookup without an answer by then is of a name no
/// container reachable from there carries.
pub const LOOKUP_TIMEOUT: Duration = Duration::from_millis(1500);

/// What one connection attempt found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A TCP connection was established: reachable.
    Open,
    /// The address was routed and the host there answered with a reset: nothing listens there for
    /// this position (another container, or the host, not the database).
    Refused,
    /// No answer within [`CONNECT_TIMEOUT`]: the packets were dropped on the way (between Docker
    /// networks, the engine's isolation rules drop them).
    TimedOut,
    /// The kernel has no route to the address from there (a container only on internal networks
    /// has no default gateway), or was told the host is unreachable.
    NoRoute,
    /// The name does not resolve from there: neither the position's hosts file nor the engine's DNS
    /// knows it, so no connection can be made by that name.
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
    /// From the attempt's start (lookup included) to its finding, as the position measured it.
    pub elapsed: Duration,
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
            "{} → {} via {}:{}: {:?} after {} ms (expected {})",
            self.from,
            self.to,
            self.via,
            self.port,
            self.outcome,
            self.elapsed.as_millis(),
            if self.expect_open { "open" } else { "unreachable" }
        )
    }
}

/// A database: every address it may be reached by, and every port it listens on.
struct Target {
    id: String,
    stack: String,
    ports: Vec<u16>,
    addresses: BTreeSet<String>,
}

/// A service's network position: where probes start from.
struct Position {
    id: String,
    stack: String,
    container: String,
}

/// Probe every position against every database; `probe_image` must have perl (Debian's perl-base).
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
    let (positions, targets) = layout(deployment)?;
    let positions: Vec<&Position> = positions.iter().filter(|p| wanted(&p.id)).collect();
    let found: Vec<Result<Vec<Probe>>> = std::thread::scope(|scope| {
        let running: Vec<_> = positions.iter().map(|p| scope.spawn(|| probe_from(deployment, probe_image, p, &targets))).collect();
        running.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(Problem::new("probe", "a probe thread panicked")))).collect()
    });
    Ok(found.into_iter().collect::<Result<Vec<_>>>()?.into_iter().flatten().collect())
}

/// Every service's position and every database, from the deployment's running containers (their
/// labels say what they run) checked against the services its stacks declare.
fn layout(deployment: &Deployment) -> Result<(Vec<Position>, Vec<Target>)> {
    let manifest = Manifest::load(&deployment.root)?;
    let mut running = containers::running(deployment.id())?;
    let (mut positions, mut targets) = (Vec::new(), Vec::new());
    for model in &deployment.models {
        for name in model.config.services.keys() {
            let id = format!("{}/{name}", model.stack);
            let container = running.remove(&id).ok_or_else(|| Problem::new(format!("service {id}"), "has no running container"))?;
            positions.push(Position { id: id.clone(), stack: model.stack.clone(), container: container.id.clone() });
            // A container that cannot say what it stands for might be a database: never skip it silently.
            let Some((_, entry)) = manifest.by_image(&container.official_image) else {
                return Err(Problem::new(
                    format!("service {id}"),
                    format!("its container's {} label {:?} names no image of stacks/images.toml", labels::OFFICIAL_IMAGE, container.official_image),
                ));
            };
            if entry.role != Role::Database {
                continue;
            }
            let mut addresses = container.names;
            addresses.insert(name.clone());
            addresses.extend(container.ips);
            if let Some(bad) = addresses.iter().find(|a| !answer::plain_address(a)) {
                return Err(Problem::new(format!("service {id}"), format!("refusing to probe the address {bad:?}: not a plain host name or IP")));
            }
            targets.push(Target { id, stack: model.stack.clone(), ports: entry.listens.clone(), addresses });
        }
    }
    Ok((positions, targets))
}

/// One probe container in `position`'s network namespace makes every attempt against `targets`.
fn probe_from(deployment: &Deployment, probe_image: &str, position: &Position, targets: &[Target]) -> Result<Vec<Probe>> {
    let mut plan = Vec::new();
    for target in targets.iter().filter(|t| t.id != position.id) {
        for via in &target.addresses {
            for &port in &target.ports {
                plan.push((target, answer::Attempt { via: via.clone(), port }));
            }
        }
    }
    if plan.is_empty() {
        return Ok(Vec::new());
    }
    let attempts: Vec<answer::Attempt> = plan.iter().map(|(_, a)| a.clone()).collect();
    let here = format!("probe from {}", position.id);
    let network = format!("container:{}", position.container);
    let labels =
        [format!("{}={}", labels::DEPLOYMENT, deployment.id()), format!("{}={}", labels::RUN, deployment.owner.run), format!("{}=true", labels::EPHEMERAL)];
    let mut args = vec!["run", "--rm", "--network", &network];
    for label in &labels {
        args.extend(["--label", label]);
    }
    args.extend(["--entrypoint", "perl", probe_image, "-e", answer::SCRIPT, "--"]);
    let arguments = answer::arguments(&attempts);
    args.extend(arguments.iter().map(String::as_str));
    let out = docker::docker(&args).map_err(|p| {
        let to: BTreeSet<&str> = plan.iter().map(|(t, _)| t.id.as_str()).collect();
        Problem::new(format!("{here} to {}", to.into_iter().collect::<Vec<_>>().join(", ")), p.to_string())
    })?;
    let answers = answer::parse(&out, attempts.len()).map_err(|(index, why)| match plan.get(index) {
        Some((target, a)) => Problem::new(format!("{here} to {} via {}:{}", target.id, a.via, a.port), why),
        None => Problem::new(&here, why),
    })?;
    Ok(plan
        .into_iter()
        .zip(answers)
        .map(|((target, a), answer)| Probe {
            from: position.id.clone(),
            to: target.id.clone(),
            via: a.via,
            port: a.port,
            outcome: answer.outcome,
            expect_open: target.stack == position.stack,
            elapsed: answer.elapsed,
        })
        .collect())
}
