//! n8n: fixture workflows from `fixtures/n8n/` created and published through n8n's public API,
//! triggered by their webhooks; what reaches Kong; what the n8n stack's containers and database hold.

use std::time::Duration;

use cucumber::{given, then, when};
use serde_json::{Value, json};

use crate::clients::db::Db;
use crate::clients::n8n::{CustomAuth, ExecutionStatus, N8n, database};
use crate::steps::AiwahWorld;

#[derive(Debug, Default)]
pub struct State {
    pub(crate) workflow: Option<String>,
    pub(crate) path: String,
    /// Executions of the workflow that existed before the webhook call.
    seen: Vec<String>,
    answer: Option<(u16, Value)>,
    /// A fresh string the scenario sent through the workflow (the scan's positive control).
    marker: Option<String>,
}

/// Where the suite keeps the n8n API key it made (n8n rate-limits logins: one per deployment).
const API_KEY_FILE: &str = "n8n-api-key";
/// Written once the Supabase credential is in place, so later scenario processes skip the round trip.
const CREDENTIAL_FILE: &str = "n8n-credential";

/// The n8n credential workflows call Kong with (`fixtures/n8n/todo-through-kong.json` refers to it by id).
pub const SUPABASE_CREDENTIAL_ID: &str = "aiwah-supabase";
pub const SUPABASE_CREDENTIAL_NAME: &str = "AIWAH Supabase service key";
/// Kong's name on the shared network: the only host the credential may be sent to.
pub const SUPABASE_HOST: &str = "kong";

/// The service key as `apikey` (Kong's key-auth) and as bearer token (the role PostgREST runs the
/// request as), held by n8n encrypted instead of in its environment or in a workflow.
pub fn supabase_credential(service_key: &str) -> CustomAuth {
    let headers = [("apikey".to_string(), service_key.to_string()), ("Authorization".to_string(), format!("Bearer {service_key}"))];
    CustomAuth::new(SUPABASE_CREDENTIAL_ID, SUPABASE_CREDENTIAL_NAME, headers, &[SUPABASE_HOST])
}

impl AiwahWorld {
    /// n8n's public API with this deployment's API key, the Supabase credential in place. Both are made
    /// once per deployment: the key is kept in the deployment's workdir; the credential has a fixed id,
    /// so n8n itself refuses a second copy to processes that race here.
    pub(crate) async fn n8n(&self) -> Result<N8n, String> {
        let client = self.n8n_api().await?;
        // A target has no work folder of ours: there n8n's fixed credential id makes a repeat harmless.
        let marker = if self.suite.target.is_some() { None } else { Some(self.suite.deployment()?.workdir().join(CREDENTIAL_FILE)) };
        if !marker.as_ref().is_some_and(|m| m.is_file()) {
            let ensured = client.ensure_credential(&supabase_credential(&self.service_key()?)).await.map_err(|e| e.to_string())?;
            println!("n8n credential {SUPABASE_CREDENTIAL_ID}: {ensured:?}");
            if let Some(marker) = marker {
                aiwah_harness::files::write_private(&marker, SUPABASE_CREDENTIAL_ID).map_err(|e| format!("{}: {e}", marker.display()))?;
            }
        }
        Ok(client)
    }

    async fn n8n_api(&self) -> Result<N8n, String> {
        let client = N8n::new(&self.suite.n8n);
        if let Some(target) = &self.suite.target {
            return Ok(client.with_api_key(target.n8n_api_key.clone()));
        }
        let file = self.suite.deployment()?.workdir().join(API_KEY_FILE);
        if let Ok(key) = std::fs::read_to_string(&file) {
            return Ok(client.with_api_key(key.trim().to_string()));
        }
        let email = self.suite.secret("N8N_OWNER_EMAIL").map_err(|p| p.to_string())?;
        let password = self.suite.secret("N8N_OWNER_PASSWORD").map_err(|p| p.to_string())?;
        let session = client.login(&email, &password).await.map_err(|e| e.to_string())?;
        let label = format!("aiwah-suite-{}", random(8));
        let key = client.create_api_key(&session, &label).await.map_err(|e| e.to_string())?;
        // Scenario processes race here: the last key written wins, every key works.
        aiwah_harness::files::write_private(&file, &key).map_err(|e| format!("{}: {e}", file.display()))?;
        Ok(client.with_api_key(key))
    }

    /// n8n's own PostgreSQL as its superuser, at the container's address on the n8n stack's network.
    pub(crate) async fn n8n_database(&self) -> Result<Db, String> {
        let suite = self.suite.clone();
        let host = blocking(move || suite.container_ip("n8n", "postgres")).await?;
        let secret = |key: &str| self.suite.secret(key).map_err(|p| p.to_string());
        let (user, password, name) = (secret("N8N_POSTGRES_USER")?, secret("N8N_POSTGRES_PASSWORD")?, secret("N8N_POSTGRES_DB")?);
        Db::connect(&host, 5432, &user, &password, &name, Duration::from_secs(30)).await.map_err(|e| format!("n8n's database: {e}"))
    }
}

/// A Docker call off the runtime's threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> aiwah_harness::Result<T> + Send + 'static) -> Result<T, String> {
    tokio::task::spawn_blocking(f).await.map_err(|e| e.to_string())?.map_err(|p| p.to_string())
}

fn random(len: usize) -> String {
    aiwah_harness::secrets::random::from_alphabet(b"abcdefghijklmnopqrstuvwxyz0123456789", len)
}

/// The fixture with a webhook path and id of its own: scenarios run side by side, and n8n refuses
/// to publish a second workflow on a path already taken.
fn fixture(root: &std::path::Path, name: &str, data_tag: &str) -> Result<(Value, String), String> {
    let file = root.join("fixtures/n8n").join(format!("{name}.json"));
    let mut workflow: Value = serde_json::from_str(&std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?)
        .map_err(|e| format!("{}: {e}", file.display()))?;
    let suffix = random(8);
    let webhook = workflow["nodes"]
        .as_array_mut()
        .and_then(|nodes| nodes.iter_mut().find(|n| n["type"] == "n8n-nodes-base.webhook"))
        .ok_or_else(|| format!("{}: no webhook node", file.display()))?;
    let path = format!("{}-{suffix}", webhook["parameters"]["path"].as_str().unwrap_or("aiwah"));
    webhook["parameters"]["path"] = json!(path);
    webhook["webhookId"] = json!(format!("{}{}", &webhook["webhookId"].as_str().unwrap_or("00000000-0000-0000-0000-0000")[..28], &suffix[..8]));
    workflow["name"] = json!(format!("{} {suffix} {data_tag}", workflow["name"].as_str().unwrap_or(name)));
    Ok((workflow, path))
}

#[given(expr = "the fixture workflow {string} is imported and published through n8n's API")]
async fn published(w: &mut AiwahWorld, name: String) -> Result<(), String> {
    let (workflow, path) = fixture(&w.suite.root, &name, &w.data_tag)?;
    let n8n = w.n8n().await?;
    let id = n8n.create_workflow(&workflow).await.map_err(|e| e.to_string())?;
    n8n.activate(&id).await.map_err(|e| e.to_string())?;
    w.n8n.seen = n8n.executions(&id).await.map_err(|e| e.to_string())?.into_iter().map(|e| e.id).collect();
    w.n8n.workflow = Some(id);
    w.n8n.path = path;
    Ok(())
}

async fn call(w: &mut AiwahWorld, body: Value) -> Result<(), String> {
    let n8n = w.n8n().await?;
    let answer = n8n.wait_webhook(&w.n8n.path, &body, Duration::from_secs(20)).await.map_err(|e| e.to_string())?;
    println!("webhook answered HTTP {}", answer.0);
    w.n8n.answer = Some(answer);
    Ok(())
}

#[when(regex = r"^its webhook is called with (\{.*\})$")]
async fn called_with(w: &mut AiwahWorld, body: String) -> Result<(), String> {
    call(w, serde_json::from_str(&body).map_err(|e| format!("step body {body}: {e}"))?).await
}

#[when(expr = "its webhook is called with a todo {string} for {string}")]
async fn called_with_todo(w: &mut AiwahWorld, title: String, owner: String) -> Result<(), String> {
    let user_id = w.user(&owner)?.id.clone();
    call(w, json!({ "title": title, "user_id": user_id })).await
}

#[then(regex = r"^the webhook answers with the echo of (\{.*\})$")]
async fn echoed(w: &mut AiwahWorld, body: String) -> Result<(), String> {
    let expected: Value = serde_json::from_str(&body).map_err(|e| format!("step body {body}: {e}"))?;
    let (status, answer) = w.n8n.answer.clone().ok_or("the webhook was not called")?;
    if status == 200 && answer["echo"] == expected && answer["workflow"] == "echo" { Ok(()) } else { Err(format!("HTTP {status}: {answer}")) }
}

#[then(regex = r"^n8n records a (successful|failed) execution of it$")]
async fn execution_recorded(w: &mut AiwahWorld, outcome: String) -> Result<(), String> {
    let expected = if outcome == "successful" { ExecutionStatus::Success } else { ExecutionStatus::Error };
    let id = w.n8n.workflow.clone().ok_or("no workflow")?;
    let execution = w.n8n().await?.wait_execution(&id, &w.n8n.seen, Duration::from_secs(30)).await.map_err(|e| e.to_string())?;
    // Only the error's node and message: the execution data may hold secrets.
    let error = execution.data.as_ref().map(|d| &d["resultData"]["error"]).filter(|e| !e.is_null());
    if let Some(e) = error {
        println!("execution {} failed in node {}: {}", execution.id, e["node"]["name"], e["message"]);
    }
    if execution.status == expected { Ok(()) } else { Err(format!("execution {} ended {}, expected {expected}", execution.id, execution.status)) }
}

#[when("its webhook is called with a todo for a user that does not exist, titled with a fresh marker")]
async fn called_with_marker(w: &mut AiwahWorld) -> Result<(), String> {
    // No such user: PostgREST refuses the row (foreign key, 409); Kong's placeholder answers 503.
    let marker = format!("aiwah-marker-{}", random(16));
    w.n8n.marker = Some(marker.clone());
    call(w, json!({ "title": marker, "user_id": "00000000-0000-0000-0000-000000000000" })).await
}

#[then("the webhook answers that the workflow failed")]
async fn answered_failure(w: &mut AiwahWorld) -> Result<(), String> {
    let (status, answer) = w.n8n.answer.clone().ok_or("the webhook was not called")?;
    if status == 500 && answer["message"] == "Error in workflow" { Ok(()) } else { Err(format!("HTTP {status}: {answer}")) }
}

#[then("a scan of every table of n8n's database finds the marker and no copy of the service key")]
async fn database_scan(w: &mut AiwahWorld) -> Result<(), String> {
    let marker = w.n8n.marker.clone().ok_or("no marker was sent through the workflow")?;
    let key = w.service_key()?;
    // The payload carries the role claim: a copy of it is a copy of the key's meaning.
    let payload = key.split('.').nth(1).filter(|p| p.len() > 16).ok_or("the service key is not a JWT")?.to_string();
    let db = w.n8n_database().await?;
    let scan = database::scan(&db, &[&marker, &key, &payload]).await.map_err(|e| format!("scanning n8n's database: {e}"))?;
    println!("scanned {} tables ({} rows) of n8n's database; the marker is in {:?}", scan.tables, scan.rows, scan.found(0));
    if scan.found(0).is_empty() {
        return Err(format!("the scan found the marker in none of {} tables ({} rows): it does not see the execution data", scan.tables, scan.rows));
    }
    let mut leaks: Vec<String> = scan.found(1).into_iter().map(|t| format!("the service key in {t}")).collect();
    leaks.extend(scan.found(2).into_iter().map(|t| format!("the service key's payload in {t}")));
    if leaks.is_empty() { Ok(()) } else { Err(format!("n8n's database holds {}", leaks.join(", "))) }
}

#[then("the webhook answers with the row it wrote")]
async fn answered_row(w: &mut AiwahWorld) -> Result<(), String> {
    let (status, answer) = w.n8n.answer.clone().ok_or("the webhook was not called")?;
    let row = if answer.is_array() { answer[0].clone() } else { answer.clone() };
    if status == 200 && row["id"].is_number() && row["title"].is_string() { Ok(()) } else { Err(format!("HTTP {status}: {answer}")) }
}

#[then(expr = "the todo {string} of {string} is visible through REST with the service role")]
async fn visible_rest(w: &mut AiwahWorld, title: String, owner: String) -> Result<(), String> {
    let user_id = w.user(&owner)?.id.clone();
    let query = format!("select=title&user_id=eq.{user_id}&title=eq.{}", crate::clients::rest::encode(&title));
    let rows = w.rest()?.select("todos", &query, Some(&w.service_key()?)).await.map_err(|e| e.to_string())?;
    if rows.len() == 1 { Ok(()) } else { Err(format!("{} rows for {title:?} of {owner}", rows.len())) }
}

/// How the gateway placeholder logs a credential: length and 32-bit byte sum (never the value).
fn fingerprint(value: &str) -> String {
    format!("len{}-sum{}", value.len(), value.bytes().fold(0u32, |sum, b| sum.wrapping_add(u32::from(b))))
}

#[then("the gateway saw POST /rest/v1/todos carrying the service key as apikey and as bearer token")]
async fn gateway_saw(w: &mut AiwahWorld) -> Result<(), String> {
    let key = fingerprint(&w.service_key()?);
    let expected = format!("request: POST /rest/v1/todos apikey={key} bearer={key}");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let suite = w.suite.clone();
        let logs = blocking(move || suite.deployment()?.logs("supabase", "kong", 400)).await?;
        let requests: Vec<&str> = logs.lines().filter(|l| l.starts_with("request: POST /rest/v1/todos")).collect();
        if requests.contains(&expected.as_str()) {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            return Err(format!("no request to /rest/v1/todos with the service key reached the gateway; it saw: {requests:?} (expected fingerprints {key})"));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[then("no container of the n8n stack has the Supabase database password, the service key or a Supabase database address in its environment")]
async fn no_db_credential(w: &mut AiwahWorld) -> Result<(), String> {
    let password = w.suite.secret("POSTGRES_PASSWORD").map_err(|p| p.to_string())?;
    let service_key = w.service_key()?;
    // Positive control: the check reads values, so it must see n8n's own encryption key.
    let own_secret = w.suite.secret("N8N_ENCRYPTION_KEY").map_err(|p| p.to_string())?;
    let mut saw_own_secret = false;
    let supabase = w.suite.deployment()?.models.iter().find(|m| m.stack == "supabase").ok_or("no supabase stack")?;
    // Every name the Supabase database answers to, and its pooler.
    let mut addresses: Vec<String> = ["db", "supavisor"].iter().map(|s| s.to_string()).collect();
    for name in ["db", "supavisor"] {
        if let Some(svc) = supabase.config.services.get(name) {
            addresses.extend(svc.networks.values().flatten().flat_map(|a| a.aliases.clone()));
        }
    }
    let n8n = w.suite.deployment()?.models.iter().find(|m| m.stack == "n8n").ok_or("no n8n stack")?;
    let mut findings = Vec::new();
    let mut checked = 0;
    for service in n8n.config.services.keys() {
        let (suite, name) = (w.suite.clone(), service.clone());
        let env = blocking(move || {
            let container = suite.deployment()?.container("n8n", &name)?;
            aiwah_harness::engine::docker::docker(&["inspect", "--format", "{{range .Config.Env}}{{println .}}{{end}}", &container])
        })
        .await?;
        for line in env.lines() {
            checked += 1;
            let (key, value) = line.split_once('=').unwrap_or((line, ""));
            saw_own_secret |= value == own_secret;
            if value.contains(&password) {
                findings.push(format!("n8n/{service}: {key} holds the Supabase database password"));
            }
            if value.contains(&service_key) {
                findings.push(format!("n8n/{service}: {key} holds the Supabase service key"));
            }
            if addresses.iter().any(|a| value == a || value.contains(&format!("//{a}:")) || value.contains(&format!("@{a}:"))) {
                findings.push(format!("n8n/{service}: {key} points at a Supabase database address"));
            }
        }
    }
    println!("checked {checked} environment variables of the n8n stack");
    if !saw_own_secret {
        return Err(format!("the check read {checked} variables but not n8n's own N8N_ENCRYPTION_KEY: it does not see the values"));
    }
    if findings.is_empty() { Ok(()) } else { Err(findings.join("\n")) }
}
