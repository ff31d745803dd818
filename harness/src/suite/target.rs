//! Target mode: the conformance suite against a platform that already runs (staging, a VPS from
//! `cargo xtask up`, a Kubernetes install). A target file (TOML, path in `AIWAH_TARGET` or given
//! with `--target FILE`) says what the suite may use; the suite then starts nothing, creates only
//! test data carrying the run's id, and removes it at the end.
//!
//! ```toml
//! kong_url = "http://127.0.0.1:8000"
//! anon_key = "…"
//! service_role_key = "…"
//! jwt_secret = "…"                 # optional: scenarios that mint tokens
//! n8n_url = "http://127.0.0.1:5678"
//! n8n_api_key = "…"
//! ui_url = "http://127.0.0.1:3000"
//! database_url = "postgres://…"    # optional: SQL-level scenarios (RLS in the database)
//! dashboard_username = "…"         # optional: Studio's login behind Kong
//! dashboard_password = "…"
//! [docker]                         # optional: isolation probes, container checks
//! context = "default"
//! deployment = "aiwah"             # the name `cargo xtask up` ran under (AIWAH_DEPLOYMENT)
//! ```

use std::path::{Path, PathBuf};

use crate::problem::{Problem, Result};

/// Names the target file; set, the suite runs in target mode.
pub const TARGET_ENV: &str = "AIWAH_TARGET";
/// The id of one target-mode run: in every email and name the run creates (set by the setup script).
pub const RUN_ENV: &str = "AIWAH_TARGET_RUN";
/// Tag prefix naming what a scenario needs from a target beyond URLs and keys: `@uses:database`.
pub const USES_TAG: &str = "uses:";

/// This run's id: `AIWAH_TARGET_RUN` (the setup script sets it for every scenario process of one
/// `cargo nextest run`), else one made for this process. Lowercase letters and digits.
pub fn run_id() -> String {
    static RUN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    RUN.get_or_init(|| {
        std::env::var(RUN_ENV).ok().filter(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())).unwrap_or_else(new_run_id)
    })
    .clone()
}

/// A fresh run id (`t` and 8 letters or digits).
pub fn new_run_id() -> String {
    format!("t{}", crate::secrets::random::from_alphabet(b"abcdefghijklmnopqrstuvwxyz0123456789", 8))
}

/// What a scenario may need from a target that a target need not give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Capability {
    /// Mints its own tokens: needs `jwt_secret`.
    JwtSecret,
    /// Speaks SQL to the Supabase database: needs `database_url`.
    Database,
    /// Looks at containers and networks (isolation probes, environments, logs): needs `[docker]`.
    Docker,
    /// Starts a copy of its own to fault it (kills its databases): a target never gives one, since
    /// target mode starts nothing and must not break a platform others use.
    OwnCopy,
}

impl Capability {
    pub const ALL: [Capability; 4] = [Capability::JwtSecret, Capability::Database, Capability::Docker, Capability::OwnCopy];
    /// What a target file can give.
    pub const FROM_TARGET: [Capability; 3] = [Capability::JwtSecret, Capability::Database, Capability::Docker];

    /// As features name it (`@uses:<tag>`).
    pub fn tag(self) -> &'static str {
        match self {
            Capability::JwtSecret => "jwt-secret",
            Capability::Database => "database",
            Capability::Docker => "docker",
            Capability::OwnCopy => "own-copy",
        }
    }

    /// What the target file must have for it.
    pub fn key(self) -> &'static str {
        match self {
            Capability::JwtSecret => "jwt_secret",
            Capability::Database => "database_url",
            Capability::Docker => "[docker]",
            Capability::OwnCopy => "copy of its own (target mode starts nothing)",
        }
    }

    pub fn from_tag(tag: &str) -> Option<Capability> {
        Capability::ALL.into_iter().find(|c| c.tag() == tag)
    }
}

/// Where the platform's containers run and which deployment they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerAccess {
    pub context: String,
    pub deployment: String,
}

/// A PostgreSQL connection, from `database_url`.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    pub dbname: String,
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "postgres://{}:***@{}:{}/{}", self.user, self.host, self.port, self.dbname)
    }
}

/// A parsed target file. Holds keys: never print it whole (Debug hides them).
#[derive(Clone, PartialEq, Eq)]
pub struct Target {
    pub file: PathBuf,
    pub kong_url: String,
    pub anon_key: String,
    pub service_role_key: String,
    pub jwt_secret: Option<String>,
    pub n8n_url: String,
    pub n8n_api_key: String,
    pub ui_url: String,
    pub database: Option<DatabaseUrl>,
    pub dashboard: Option<(String, String)>,
    pub docker: Option<DockerAccess>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Target {{ file: {}, kong: {}, n8n: {}, ui: {}, docker: {:?} }}", self.file.display(), self.kong_url, self.n8n_url, self.ui_url, self.docker)
    }
}

const REQUIRED: [&str; 6] = ["kong_url", "anon_key", "service_role_key", "n8n_url", "n8n_api_key", "ui_url"];
const OPTIONAL: [&str; 4] = ["jwt_secret", "database_url", "dashboard_username", "dashboard_password"];
const DOCKER_KEYS: [&str; 2] = ["context", "deployment"];

impl Target {
    /// The target `AIWAH_TARGET` names, if it is set (and not empty).
    pub fn from_env() -> Result<Option<Target>> {
        match std::env::var_os(TARGET_ENV).filter(|v| !v.is_empty()) {
            Some(file) => Target::load(Path::new(&file)).map(Some),
            None => Ok(None),
        }
    }

    /// The target a command's `--target FILE` names, else the one `AIWAH_TARGET` names, if any.
    /// Commands that run the suite pass the path on as `AIWAH_TARGET`.
    pub fn resolve(flag: Option<&Path>) -> Result<Option<Target>> {
        match flag {
            Some(file) => Target::load(file).map(Some),
            None => Target::from_env(),
        }
    }

    pub fn load(file: &Path) -> Result<Target> {
        let shown = file.display().to_string();
        let text = std::fs::read_to_string(file).map_err(|e| {
            Problem::new(&shown, format!("cannot read the target file: {e}")).hint("write one with `cargo xtask status -o target FILE`, or fix AIWAH_TARGET")
        })?;
        Target::parse(file, &text)
    }

    pub fn parse(file: &Path, text: &str) -> Result<Target> {
        let shown = file.display().to_string();
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| Problem::new(&shown, crate::stack::registry::toml_message(&e)))?;
        let at = |key: &str| Problem::new(format!("{shown}: {key}"), "");
        for key in table.keys() {
            if !REQUIRED.contains(&key.as_str()) && !OPTIONAL.contains(&key.as_str()) && key != "docker" {
                let known = [&REQUIRED[..], &OPTIONAL[..], &["docker"]].concat().join(", ");
                return Err(Problem::new(format!("{shown}: {key}"), "is not a key of a target file").hint(format!("known: {known}")));
            }
        }
        let text_at = |table: &toml::Table, prefix: &str, key: &str| -> Result<Option<String>> {
            match table.get(key) {
                None => Ok(None),
                Some(toml::Value::String(s)) if s.trim().is_empty() => Err(Problem { message: "is empty".into(), ..at(&format!("{prefix}{key}")) }),
                Some(toml::Value::String(s)) => Ok(Some(s.clone())),
                Some(other) => Err(Problem { message: format!("must be a string, not {}", other.type_str()), ..at(&format!("{prefix}{key}")) }),
            }
        };
        let required = |key: &str| -> Result<String> {
            text_at(&table, "", key)?.ok_or_else(|| Problem { message: "is missing (a target file needs it)".into(), ..at(key) })
        };
        let url = |key: &str| -> Result<String> {
            let value = required(key)?;
            if !(value.starts_with("http://") || value.starts_with("https://")) {
                return Err(Problem { message: format!("{value:?} is not an http:// or https:// URL"), ..at(key) });
            }
            Ok(value.trim_end_matches('/').to_string())
        };
        let database = match text_at(&table, "", "database_url")? {
            Some(value) => Some(DatabaseUrl::parse(&value).map_err(|why| Problem { message: why, ..at("database_url") })?),
            None => None,
        };
        let dashboard = match (text_at(&table, "", "dashboard_username")?, text_at(&table, "", "dashboard_password")?) {
            (Some(user), Some(password)) => Some((user, password)),
            (None, None) => None,
            (Some(_), None) => return Err(Problem { message: "is missing (dashboard_username is set)".into(), ..at("dashboard_password") }),
            (None, Some(_)) => return Err(Problem { message: "is missing (dashboard_password is set)".into(), ..at("dashboard_username") }),
        };
        let docker = match table.get("docker") {
            None => None,
            Some(toml::Value::Table(docker)) => {
                for key in docker.keys().filter(|k| !DOCKER_KEYS.contains(&k.as_str())) {
                    return Err(Problem { message: "is not a key of [docker]".into(), ..at(&format!("docker.{key}")) }.hint("known: context, deployment"));
                }
                let get = |key: &str| text_at(docker, "docker.", key)?.ok_or_else(|| Problem { message: "is missing".into(), ..at(&format!("docker.{key}")) });
                Some(DockerAccess { context: get("context")?, deployment: get("deployment")? })
            }
            Some(other) => return Err(Problem { message: format!("must be a table, not {}", other.type_str()), ..at("docker") }),
        };
        Ok(Target {
            file: file.to_path_buf(),
            kong_url: url("kong_url")?,
            anon_key: required("anon_key")?,
            service_role_key: required("service_role_key")?,
            jwt_secret: text_at(&table, "", "jwt_secret")?,
            n8n_url: url("n8n_url")?,
            n8n_api_key: required("n8n_api_key")?,
            ui_url: url("ui_url")?,
            database,
            dashboard,
            docker,
        })
    }

    /// What the target gives for a variable the steps ask a deployment for (`ANON_KEY`, …): `None`
    /// for a variable a target file never holds; an error naming the key for one it may but does not.
    pub fn secret(&self, key: &str) -> Option<Result<String>> {
        let given = |value: Option<&String>, what: &str, tag: &str| {
            value.cloned().ok_or_else(|| {
                Problem::new(self.file.display().to_string(), format!("gives no {what}")).hint(format!("a scenario that needs it is tagged {tag}"))
            })
        };
        Some(match key {
            "ANON_KEY" => Ok(self.anon_key.clone()),
            "SERVICE_ROLE_KEY" => Ok(self.service_role_key.clone()),
            "JWT_SECRET" => given(self.jwt_secret.as_ref(), "jwt_secret", "@uses:jwt-secret"),
            "POSTGRES_PASSWORD" => given(self.database.as_ref().map(|d| &d.password), "database_url", "@uses:database"),
            "DASHBOARD_USERNAME" => given(self.dashboard.as_ref().map(|d| &d.0), "dashboard_username", "(no tag: add the key)"),
            "DASHBOARD_PASSWORD" => given(self.dashboard.as_ref().map(|d| &d.1), "dashboard_password", "(no tag: add the key)"),
            _ => return None,
        })
    }

    /// Whether this target gives what `capability` needs.
    pub fn gives(&self, capability: Capability) -> bool {
        match capability {
            Capability::JwtSecret => self.jwt_secret.is_some(),
            Capability::Database => self.database.is_some(),
            Capability::Docker => self.docker.is_some(),
            Capability::OwnCopy => false,
        }
    }

    /// Why a scenario that uses `uses` is not applicable to this target, if it is not.
    pub fn not_applicable(&self, uses: &[Capability]) -> Option<String> {
        let missing: Vec<&str> = uses.iter().filter(|c| !self.gives(**c)).map(|c| c.key()).collect();
        (!missing.is_empty()).then(|| format!("not applicable to this target: {} gives no {}", self.file.display(), missing.join(", ")))
    }

    /// The target file for a deployment, as `cargo xtask status -o target` writes it.
    pub fn render(&self) -> String {
        let q = |s: &str| toml::Value::String(s.to_string()).to_string();
        let mut out = String::from("# AIWAH OS target file (holds keys: keep it private). Use: AIWAH_TARGET=THIS_FILE cargo nextest run\n");
        for (key, value) in [("kong_url", &self.kong_url), ("anon_key", &self.anon_key), ("service_role_key", &self.service_role_key)] {
            out += &format!("{key} = {}\n", q(value));
        }
        if let Some(secret) = &self.jwt_secret {
            out += &format!("jwt_secret = {}\n", q(secret));
        }
        for (key, value) in [("n8n_url", &self.n8n_url), ("n8n_api_key", &self.n8n_api_key), ("ui_url", &self.ui_url)] {
            out += &format!("{key} = {}\n", q(value));
        }
        if let Some(db) = &self.database {
            out += &format!("database_url = {}\n", q(&db.url()));
        }
        if let Some((user, password)) = &self.dashboard {
            out += &format!("dashboard_username = {}\ndashboard_password = {}\n", q(user), q(password));
        }
        if let Some(docker) = &self.docker {
            out += &format!("\n[docker]\ncontext = {}\ndeployment = {}\n", q(&docker.context), q(&docker.deployment));
        }
        out
    }
}

impl DatabaseUrl {
    /// `postgres://user:password@host:port/dbname` (percent-encoded user and password; port 5432 when absent).
    pub fn parse(url: &str) -> std::result::Result<DatabaseUrl, String> {
        let rest = url.strip_prefix("postgres://").or_else(|| url.strip_prefix("postgresql://")).ok_or("is not a postgres:// URL")?;
        let rest = rest.split(['?', '#']).next().unwrap_or_default();
        let (credentials, location) = rest.rsplit_once('@').ok_or("names no user (postgres://USER:PASSWORD@HOST:PORT/DB)")?;
        let (user, password) = credentials.split_once(':').ok_or("has no password (postgres://USER:PASSWORD@HOST:PORT/DB)")?;
        let (address, dbname) = location.split_once('/').ok_or("names no database (postgres://USER:PASSWORD@HOST:PORT/DB)")?;
        let (host, port) = match address.rsplit_once(':') {
            Some((host, port)) => (host, port.parse().map_err(|_| format!("port {port:?} is not a number"))?),
            None => (address, 5432),
        };
        if host.is_empty() || dbname.is_empty() || user.is_empty() {
            return Err("needs a user, a host and a database (postgres://USER:PASSWORD@HOST:PORT/DB)".into());
        }
        Ok(DatabaseUrl { host: host.into(), port, user: decode(user)?, password: decode(password)?, dbname: decode(dbname)? })
    }

    pub fn url(&self) -> String {
        format!("postgres://{}:{}@{}:{}/{}", encode(&self.user), encode(&self.password), self.host, self.port, encode(&self.dbname))
    }
}

fn decode(s: &str) -> std::result::Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok()).ok_or("has a bad %-escape")?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "is not UTF-8 once %-decoded".into())
}

fn encode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[cfg(test)]
#[path = "target_tests.rs"]
mod tests;
