//! Static topology proof: who shares a network with whom, computed from the compose model.
//!
//! Proves, for the committed stacks:
//! - no service of another stack can reach a stack's database (no shared network, no host networking,
//!   no shared network namespace);
//! - only the declared entry points are on the shared network (and each of them is);
//! - no database publishes a host port;
//! - no published port listens off loopback.

use std::collections::BTreeSet;
use std::path::Path;

use crate::problem::Problem;
use crate::stack::manifest::{Manifest, Role};
use crate::stack::model::{Port, StackModel};
use crate::stack::registry::Platform;
use crate::stack::rules::locate;

/// One service's network position.
#[derive(Debug, Clone)]
pub struct Node {
    pub stack: String,
    pub service: String,
    pub role: Role,
    /// Engine-level network names.
    pub networks: BTreeSet<String>,
    /// `network_mode` when set (`host`, `service:x`, `container:x`, `none`).
    pub network_mode: Option<String>,
    pub ports: Vec<Port>,
    pub entrypoint: bool,
    /// The compose file (relative to the root) that defines the service, for messages.
    pub file: String,
}

impl Node {
    pub fn id(&self) -> String {
        format!("{}/{}", self.stack, self.service)
    }

    /// `stacks/n8n/compose.yml: services.postgres` — where a finding about this node points.
    pub fn location(&self) -> String {
        format!("{}: services.{}", self.file, self.service)
    }

    /// Whether this node's network position reaches `other` directly.
    pub fn can_reach(&self, other: &Node) -> bool {
        // Host networking reaches every bridge; a foreign container's namespace is unknown: assume the worst.
        let host = |n: &Node| n.network_mode.as_deref().is_some_and(|m| m == "host" || m.starts_with("container:"));
        let joined = |n: &Node, m: &Node| n.network_mode.as_deref().is_some_and(|mode| mode == format!("service:{}", m.service) && n.stack == m.stack);
        host(self) || host(other) || joined(self, other) || joined(other, self) || !self.networks.is_disjoint(&other.networks)
    }
}

#[derive(Debug, Clone)]
pub struct Topology {
    pub nodes: Vec<Node>,
}

impl Topology {
    pub fn build(root: &Path, platform: &Platform, manifest: &Manifest, models: &[StackModel]) -> Topology {
        let mut nodes = Vec::new();
        for model in models {
            let entrypoints = platform.stack(&model.stack).map(|s| s.entrypoints.clone()).unwrap_or_default();
            for (name, service) in &model.config.services {
                // An image the manifest does not know is a rules breach; for the proof, assume the worst.
                // A deployment labels the manifest image it stands in for; plain stacks name it as their image.
                let official = service.labels.get(crate::engine::overrides::labels::OFFICIAL_IMAGE).or(service.image.as_ref());
                let role = official.and_then(|i| manifest.by_image(i)).map(|(_, e)| e.role).unwrap_or(Role::Database);
                nodes.push(Node {
                    stack: model.stack.clone(),
                    service: name.clone(),
                    role,
                    networks: model.config.service_networks(service).into_iter().collect(),
                    network_mode: service.network_mode.clone(),
                    ports: service.ports.clone(),
                    entrypoint: entrypoints.contains(name),
                    file: locate(root, model, name).split(": ").next().unwrap_or_default().to_string(),
                });
            }
        }
        // `network_mode: service:X` shares X's network namespace: it sits on X's networks (followed
        // through chains), and X's host networking.
        for _ in 0..nodes.len() {
            let snapshot = nodes.clone();
            for node in nodes.iter_mut() {
                let Some(target) = node.network_mode.as_deref().and_then(|m| m.strip_prefix("service:")) else { continue };
                if let Some(x) = snapshot.iter().find(|n| n.stack == node.stack && n.service == target) {
                    node.networks.extend(x.networks.iter().cloned());
                    if x.network_mode.as_deref() == Some("host") {
                        node.network_mode = Some("host".into());
                    }
                }
            }
        }
        Topology { nodes }
    }

    /// Every breach of the topology rules; empty when the proof holds.
    pub fn prove(&self, shared_network: &str) -> Vec<Problem> {
        let mut problems = Vec::new();
        problems.extend(self.databases_unreachable_across_stacks());
        problems.extend(self.shared_network_only_for_entrypoints(shared_network));
        problems.extend(self.no_database_host_ports());
        problems.extend(self.ports_on_loopback());
        problems
    }

    fn databases_unreachable_across_stacks(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        for db in self.nodes.iter().filter(|n| n.role == Role::Database) {
            for other in self.nodes.iter().filter(|n| n.stack != db.stack) {
                if other.can_reach(db) {
                    problems.push(
                        Problem::new(
                            db.location(),
                            format!("database {} is reachable from stack {} ({}) via {}", db.id(), other.stack, other.id(), self.path(other, db)),
                        )
                        .hint("keep databases on their stack's internal network only"),
                    );
                }
            }
        }
        problems
    }

    fn path(&self, a: &Node, b: &Node) -> String {
        if a.network_mode.as_deref() == Some("host") || b.network_mode.as_deref() == Some("host") {
            return "host networking".into();
        }
        let shared: Vec<_> = a.networks.intersection(&b.networks).cloned().collect();
        format!("network {}", shared.join(", "))
    }

    fn shared_network_only_for_entrypoints(&self, shared_network: &str) -> Vec<Problem> {
        let mut problems = Vec::new();
        for node in &self.nodes {
            let on_shared = node.networks.contains(shared_network);
            if on_shared && !node.entrypoint {
                problems.push(
                    Problem::new(
                        node.location(),
                        format!("{} joins the shared network {shared_network} but is not an entry point of stack {}", node.id(), node.stack),
                    )
                    .hint("only entry points (stacks/stacks.toml) join the shared network"),
                );
            }
            if !on_shared && node.entrypoint {
                problems.push(Problem::new(node.location(), format!("{} is an entry point but does not join the shared network {shared_network}", node.id())));
            }
            if node.network_mode.as_deref() == Some("host") {
                problems.push(Problem::new(node.location(), format!("{} uses host networking, which bypasses every stack network", node.id())));
            }
        }
        problems
    }

    fn no_database_host_ports(&self) -> Vec<Problem> {
        self.nodes
            .iter()
            .filter(|n| n.role == Role::Database)
            .flat_map(|db| db.ports.iter().map(move |p| (db, p)))
            .map(|(db, p)| {
                Problem::new(
                    db.location(),
                    format!("database {} publishes host port {}:{} → {}", db.id(), p.host_address(), p.published.as_deref().unwrap_or("?"), p.target),
                )
                .hint("remove the port; reach databases through `docker compose exec` or an SSH tunnel to a loopback port")
            })
            .collect()
    }

    fn ports_on_loopback(&self) -> Vec<Problem> {
        self.nodes
            .iter()
            .flat_map(|n| n.ports.iter().map(move |p| (n, p)))
            .filter(|(_, p)| !p.is_loopback())
            .map(|(n, p)| {
                Problem::new(n.location(), format!("{} publishes port {} on {} (off loopback)", n.id(), p.target, p.host_address()))
                    .hint("publish as 127.0.0.1:HOST:CONTAINER; reach it through an SSH tunnel or a TLS proxy")
            })
            .collect()
    }
}
