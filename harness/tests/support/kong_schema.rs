//! Kong 3.9's declarative config (format 3.0) as far as the gateway uses it, written from Kong's
//! documented format (DB-less declarative config; the schemas of services, routes, consumers and
//! the key-auth, basic-auth, acl, cors, request-termination, request-transformer and post-function
//! plugins). Every struct refuses fields it does not know, so a misspelt or invented field fails.

#![allow(dead_code)]

use std::path::Path;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(rename = "_format_version")]
    pub format_version: String,
    #[serde(default)]
    pub consumers: Vec<Consumer>,
    pub services: Vec<Service>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consumer {
    pub username: String,
    #[serde(default)]
    pub keyauth_credentials: Vec<KeyAuthCredential>,
    #[serde(default)]
    pub basicauth_credentials: Vec<BasicAuthCredential>,
    #[serde(default)]
    pub acls: Vec<AclGroup>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyAuthCredential {
    pub key: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasicAuthCredential {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AclGroup {
    pub group: String,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Http,
    Https,
    Ws,
    Wss,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub name: String,
    /// Shorthand for protocol, host, port and path.
    pub url: String,
    pub protocol: Option<Protocol>,
    /// Milliseconds.
    pub read_timeout: Option<u32>,
    pub routes: Vec<Route>,
    #[serde(default)]
    pub plugins: Vec<Plugin>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    pub name: String,
    pub strip_path: bool,
    pub paths: Option<Vec<String>>,
    /// The expressions router's match (KONG_ROUTER_FLAVOR=expressions).
    pub expression: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "name", content = "config", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Plugin {
    Cors,
    KeyAuth(KeyAuth),
    BasicAuth(BasicAuth),
    Acl(Acl),
    RequestTermination(RequestTermination),
    RequestTransformer(RequestTransformer),
    PostFunction(PostFunction),
}

impl Plugin {
    pub fn name(&self) -> &'static str {
        match self {
            Plugin::Cors => "cors",
            Plugin::KeyAuth(_) => "key-auth",
            Plugin::BasicAuth(_) => "basic-auth",
            Plugin::Acl(_) => "acl",
            Plugin::RequestTermination(_) => "request-termination",
            Plugin::RequestTransformer(_) => "request-transformer",
            Plugin::PostFunction(_) => "post-function",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyAuth {
    pub hide_credentials: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasicAuth {
    pub hide_credentials: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Acl {
    pub allow: Vec<String>,
    pub hide_groups_header: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestTermination {
    pub status_code: u16,
    pub message: String,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RequestTransformer {
    #[serde(default)]
    pub add: Changes,
    #[serde(default)]
    pub replace: Changes,
    #[serde(default)]
    pub remove: Changes,
}

/// `name:value` strings (remove: names only).
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Changes {
    #[serde(default)]
    pub headers: Vec<String>,
    #[serde(default)]
    pub querystring: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostFunction {
    /// Lua chunks run in the access phase.
    pub access: Vec<String>,
}

/// Parses a generated config: `#` comment lines, then a JSON body (JSON is YAML, which Kong loads).
pub fn parse(text: &str) -> Result<Config, String> {
    let body: String = text.lines().skip_while(|l| l.starts_with('#')).collect::<Vec<_>>().join("\n");
    serde_json::from_str(&body).map_err(|e| e.to_string())
}

pub fn load(path: &Path) -> Config {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse(&text).unwrap_or_else(|e| panic!("{} is not Kong declarative config: {e}", path.display()))
}
