//! Vector 0.53's configuration as far as our logs pipeline uses it, written from Vector's documented
//! reference (the `api` section; the `docker_logs` source; the `remap` and `route` transforms; the
//! `http` sink with its `encoding` and `request` options). Every struct refuses fields it does not
//! know, so a misspelt or invented option fails to parse instead of being ignored.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VectorConfig {
    pub api: Api,
    pub sources: BTreeMap<String, Source>,
    pub transforms: BTreeMap<String, Transform>,
    pub sinks: BTreeMap<String, Sink>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Api {
    pub enabled: bool,
    pub address: String,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum Source {
    #[serde(rename = "docker_logs")]
    DockerLogs {
        #[serde(default)]
        include_labels: Vec<String>,
        #[serde(default)]
        exclude_containers: Vec<String>,
    },
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum Transform {
    /// A VRL program; `abort` drops the event (drop_on_abort defaults to true).
    #[serde(rename = "remap")]
    Remap { inputs: Vec<String>, source: String },
    /// One output `name.key` per condition; events matching none are dropped.
    #[serde(rename = "route")]
    Route { inputs: Vec<String>, route: BTreeMap<String, String> },
}

impl Transform {
    pub fn inputs(&self) -> &[String] {
        match self {
            Transform::Remap { inputs, .. } | Transform::Route { inputs, .. } => inputs,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum Sink {
    #[serde(rename = "http")]
    Http { inputs: Vec<String>, uri: String, method: HttpMethod, encoding: Encoding, request: Request },
}

impl Sink {
    pub fn inputs(&self) -> &[String] {
        let Sink::Http { inputs, .. } = self;
        inputs
    }
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum HttpMethod {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Encoding {
    pub codec: Codec,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Codec {
    Json,
    Text,
    Ndjson,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub retry_initial_backoff_secs: u64,
    pub retry_max_duration_secs: u64,
}
