//! Credentials the harness gives n8n: kept by n8n encrypted with the instance's `N8N_ENCRYPTION_KEY`,
//! referenced by id from workflow nodes, never written into a workflow or its executions.
//!
//! n8n 2.41.1's `httpCustomAuth` ("Custom Auth") is the built-in type that carries several headers:
//! its one required field `json` is a JSON *string* `{"headers": {…}, "qs": {…}, "body": {…}}` (the
//! HTTP Request node `jsonParse`s it; an object is accepted by the API but fails the node). The node
//! adds those headers to its request and, when the request fails, stores them as `**hidden**` in the
//! execution (its `authDataKeys`), unlike headers written into the node itself. `httpHeaderAuth`
//! carries one header only — Kong wants `apikey` and PostgREST `Authorization: Bearer`.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Value, json};

/// The credential type name in n8n.
pub const CUSTOM_AUTH: &str = "httpCustomAuth";

/// A `httpCustomAuth` credential with a fixed id: the public API accepts a caller-chosen id (1–16 of
/// `[A-Za-z0-9_-]`) and answers 409 when it exists, which makes creating it idempotent.
#[derive(Clone, PartialEq, Eq)]
pub struct CustomAuth {
    pub id: String,
    pub name: String,
    /// Header name → value, sent by every node that uses the credential. Never printed.
    headers: BTreeMap<String, String>,
    /// Hosts the credential may be sent to (n8n's `allowedHttpRequestDomains: "domains"`); a node using it
    /// against any other host fails with "Domain not allowed" before a request leaves.
    pub allowed_domains: Vec<String>,
}

impl CustomAuth {
    pub fn new(id: &str, name: &str, headers: impl IntoIterator<Item = (String, String)>, allowed_domains: &[&str]) -> CustomAuth {
        CustomAuth {
            id: id.to_string(),
            name: name.to_string(),
            headers: headers.into_iter().collect(),
            allowed_domains: allowed_domains.iter().map(|d| d.to_string()).collect(),
        }
    }

    /// The `data` of `POST /api/v1/credentials` (fields as `GET /api/v1/credentials/schema/httpCustomAuth`
    /// lists them: `json` required, `allowedHttpRequestDomains` ∈ all|domains|none, `allowedDomains`).
    pub fn data(&self) -> Value {
        let json = json!({ "headers": self.headers }).to_string();
        json!({
            "json": json,
            "allowedHttpRequestDomains": "domains",
            "allowedDomains": self.allowed_domains.join(","),
        })
    }

    /// Header names, for messages.
    pub fn header_names(&self) -> Vec<&str> {
        self.headers.keys().map(String::as_str).collect()
    }

    /// How a workflow node refers to it (`node.credentials`).
    pub fn node_reference(&self) -> Value {
        json!({ CUSTOM_AUTH: { "id": self.id, "name": self.name } })
    }
}

impl fmt::Debug for CustomAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomAuth")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("headers", &self.header_names())
            .field("values", &"<redacted>")
            .field("allowed_domains", &self.allowed_domains)
            .finish()
    }
}

/// What [`super::N8n::ensure_credential`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ensured {
    Created,
    /// A credential with this id, name and type was there already (its data is not readable back).
    Existed,
}
