//! The typed stack model: the subset of `docker compose config --format json` the harness reasons about.
//! Compose has already interpolated variables, merged override files and normalised short syntax.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// One stack as compose interprets it for one project name.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StackModel {
    /// Stack name from `stacks/stacks.toml` (`supabase`, `n8n`, `ui`).
    pub stack: String,
    /// Compose files it was read from, relative to the repository root (for messages).
    pub files: Vec<PathBuf>,
    pub config: ComposeConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ComposeConfig {
    /// The compose project name.
    pub name: String,
    pub services: BTreeMap<String, Service>,
    #[serde(default)]
    pub networks: BTreeMap<String, Network>,
    #[serde(default)]
    pub volumes: BTreeMap<String, Volume>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Service {
    pub image: Option<String>,
    pub build: Option<serde_json::Value>,
    pub container_name: Option<String>,
    /// Network key (see [`ComposeConfig::networks`]) → attachment options.
    #[serde(default)]
    pub networks: BTreeMap<String, Option<NetworkAttachment>>,
    pub network_mode: Option<String>,
    #[serde(default)]
    pub ports: Vec<Port>,
    pub healthcheck: Option<Healthcheck>,
    #[serde(default)]
    pub depends_on: BTreeMap<String, Dependency>,
    #[serde(default)]
    pub environment: BTreeMap<String, Option<String>>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NetworkAttachment {
    #[serde(default)]
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Port {
    pub host_ip: Option<String>,
    pub target: u32,
    pub published: Option<String>,
    #[serde(default = "tcp")]
    pub protocol: String,
}

fn tcp() -> String {
    "tcp".into()
}

impl Port {
    /// The host address the port is bound to; compose's default (no address) means every interface.
    pub fn host_address(&self) -> &str {
        match self.host_ip.as_deref() {
            None | Some("") => "0.0.0.0",
            Some(ip) => ip,
        }
    }

    pub fn is_loopback(&self) -> bool {
        let addr = self.host_address();
        addr == "localhost" || addr == "::1" || addr.starts_with("127.")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Healthcheck {
    pub test: Option<Vec<String>>,
    #[serde(default)]
    pub disable: bool,
}

impl Healthcheck {
    pub fn is_effective(&self) -> bool {
        !self.disable && self.test.as_ref().is_some_and(|t| !t.is_empty() && t[0] != "NONE")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Dependency {
    pub condition: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Network {
    /// The engine-level name (project-scoped unless the file fixed it).
    pub name: Option<String>,
    #[serde(default)]
    pub external: bool,
    #[serde(default)]
    pub internal: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Volume {
    pub name: Option<String>,
    #[serde(default)]
    pub external: bool,
}

impl ComposeConfig {
    /// The engine-level name of network `key`, as compose would create it.
    pub fn network_name(&self, key: &str) -> String {
        match self.networks.get(key).and_then(|n| n.name.clone()) {
            Some(name) => name,
            None => format!("{}_{key}", self.name),
        }
    }

    /// Engine-level names of the networks `service` is attached to.
    pub fn service_networks(&self, service: &Service) -> Vec<String> {
        service.networks.keys().map(|k| self.network_name(k)).collect()
    }
}
