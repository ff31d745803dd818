//! The running containers of a deployment, found by its labels in two engine calls (`docker ps`, then
//! one `docker inspect` of them all) instead of one `docker compose ps` per service.

use std::collections::{BTreeMap, BTreeSet};

use crate::engine::docker;
use crate::engine::overrides::labels;
use crate::problem::{Problem, Result};

/// A service's running container, as the engine reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Running {
    pub id: String,
    /// `stack/service`.
    pub position: String,
    /// The official image it stands for (its `io.aiwah.official-image` label).
    pub official_image: String,
    /// Every name the engine's DNS answers for it: container name and each network's aliases.
    pub names: BTreeSet<String>,
    /// Its address on each network.
    pub ips: BTreeSet<String>,
}

/// `stack/service` → its running container, for every service container of `deployment` (probe
/// containers and `compose run` one-offs carry no service label or are filtered out).
pub fn running(deployment: &str) -> Result<BTreeMap<String, Running>> {
    let ids = docker::docker(&[
        "ps",
        "--quiet",
        "--no-trunc",
        "--filter",
        &format!("label={}={deployment}", labels::DEPLOYMENT),
        "--filter",
        &format!("label={}", labels::SERVICE),
        "--filter",
        "label=com.docker.compose.oneoff=False",
        "--filter",
        "status=running",
    ])?;
    let ids: Vec<&str> = ids.split_whitespace().collect();
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let mut args = vec!["inspect"];
    args.extend(&ids);
    from_inspect(&docker::docker(&args)?)
}

/// Read `docker inspect`'s JSON; two containers of one service are refused (probes expect one).
pub fn from_inspect(json: &str) -> Result<BTreeMap<String, Running>> {
    let shown = "docker inspect";
    let all: Vec<serde_json::Value> = serde_json::from_str(json).map_err(|e| Problem::new(shown, format!("unreadable answer: {e}")))?;
    let mut found = BTreeMap::new();
    for c in all {
        let id = c["Id"].as_str().unwrap_or_default().to_string();
        let label = |key: &str| {
            c["Config"]["Labels"][key].as_str().map(String::from).ok_or_else(|| Problem::new(format!("container {id}"), format!("has no {key} label")))
        };
        let position = format!("{}/{}", label(labels::STACK)?, label(labels::SERVICE)?);
        let mut names = BTreeSet::new();
        let mut ips = BTreeSet::new();
        if let Some(name) = c["Name"].as_str() {
            names.insert(name.trim_start_matches('/').to_string());
        }
        for network in c["NetworkSettings"]["Networks"].as_object().into_iter().flat_map(|n| n.values()) {
            names.extend(network["Aliases"].as_array().into_iter().flatten().filter_map(|a| a.as_str()).map(String::from));
            ips.extend(network["IPAddress"].as_str().filter(|ip| !ip.is_empty()).map(String::from));
            ips.extend(network["GlobalIPv6Address"].as_str().filter(|ip| !ip.is_empty()).map(String::from));
        }
        let official_image = label(labels::OFFICIAL_IMAGE).unwrap_or_default();
        let running = Running { id, position: position.clone(), official_image, names, ips };
        if let Some(other) = found.insert(position.clone(), running) {
            return Err(Problem::new(format!("service {position}"), format!("has several running containers ({} and more); probes expect one", other.id)));
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    const INSPECT: &str = r#"[
      {"Id": "abc", "Name": "/aiwah-x-n8n-postgres-1",
       "Config": {"Labels": {"io.aiwah.stack": "n8n", "io.aiwah.service": "postgres", "io.aiwah.official-image": "postgres:16"}},
       "NetworkSettings": {"Networks": {"aiwah-x-n8n_internal": {"Aliases": ["aiwah-x-n8n-postgres-1", "postgres", "abc"], "IPAddress": "172.20.0.2", "GlobalIPv6Address": ""}}}},
      {"Id": "def", "Name": "/aiwah-x-n8n-n8n-1",
       "Config": {"Labels": {"io.aiwah.stack": "n8n", "io.aiwah.service": "n8n"}},
       "NetworkSettings": {"Networks": {"a": {"Aliases": null, "IPAddress": "172.20.0.3"}, "b": {"Aliases": ["n8n"], "IPAddress": "172.21.0.3"}}}}
    ]"#;

    #[test]
    fn every_name_and_address_the_engine_knows_is_collected() {
        let found = from_inspect(INSPECT).unwrap();
        let pg = &found["n8n/postgres"];
        assert_eq!(pg.names, BTreeSet::from(["aiwah-x-n8n-postgres-1".to_string(), "postgres".into(), "abc".into()]));
        assert_eq!(pg.ips, BTreeSet::from(["172.20.0.2".to_string()]));
        assert_eq!(pg.official_image, "postgres:16");
        let n8n = &found["n8n/n8n"];
        assert_eq!(n8n.ips.len(), 2, "{n8n:?}");
        assert_eq!(n8n.official_image, "");
    }

    #[test]
    fn a_doubled_service_or_a_container_without_labels_is_refused() {
        let doubled = INSPECT.replace("\"io.aiwah.service\": \"n8n\"", "\"io.aiwah.service\": \"postgres\"");
        assert!(from_inspect(&doubled).unwrap_err().to_string().contains("service n8n/postgres: has several running containers"));
        let unlabelled = INSPECT.replace("\"io.aiwah.stack\": \"n8n\", ", "");
        assert!(from_inspect(&unlabelled).unwrap_err().to_string().contains("has no io.aiwah.stack label"));
        assert!(from_inspect("garbage").unwrap_err().to_string().starts_with("docker inspect: unreadable answer"));
    }
}
