//! n8n 2.41.1 over HTTP, the way the harness drives a running instance (measured against the real one):
//!
//! 1. `POST /rest/login` `{"emailOrLdapLoginId","password"}` → 200 + `Set-Cookie: n8n-auth=…` ([`N8n::login`]);
//! 2. `POST /rest/api-keys` with that cookie, `{label, scopes, expiresAt: null}` → `data.rawApiKey`
//!    ([`N8n::create_api_key`]); then the public API `/api/v1` with `X-N8N-API-KEY` ([`N8n::with_api_key`]);
//! 3. `POST /api/v1/workflows` → `id` (the workflow starts unpublished) ([`N8n::create_workflow`]);
//! 4. `POST /api/v1/workflows/{id}/publish` ([`N8n::activate`]) — the trigger is registered *after* the 200
//!    (publication outbox, ~0.1–0.4 s), so call the webhook with [`N8n::wait_webhook`];
//! 5. `POST /webhook/<path>` ([`N8n::call_webhook`]); 6. `GET /api/v1/executions?workflowId=…&includeData=true`.
//!
//! Secrets workflows need go into credentials ([`N8n::ensure_credential`], `POST /api/v1/credentials`), which
//! n8n stores encrypted; a workflow node refers to them by id.
//!
//! No cookie store and no `query` feature: the cookie and query strings are handled here. Secrets (password,
//! cookie, API key) never enter a request line or an error message; `Session` and `N8n` print redacted.

use std::fmt;
use std::time::{Duration, Instant};

use reqwest::{Client, Method, RequestBuilder, header};
use serde_json::{Value, json};

use crate::clients::http::{ApiError, ApiResult};

pub mod credential;
pub mod database;
pub mod execution;

pub use credential::{CustomAuth, Ensured};
pub use execution::{Execution, ExecutionMode, ExecutionStatus};

/// The session cookie n8n sets at login.
pub const AUTH_COOKIE: &str = "n8n-auth";
/// Header of the public API.
pub const API_KEY_HEADER: &str = "X-N8N-API-KEY";
pub use aiwah_harness::secrets::n8n_api::API_KEY_SCOPES;
/// Top-level workflow fields `POST /api/v1/workflows` accepts; others (`id`, `active`, `tags`, `meta`,
/// `versionId`, …) are answered 400 "request/body/<field> is read-only", so exports are trimmed to these.
const WRITABLE_FIELDS: &[&str] = &["name", "nodes", "connections", "settings", "staticData", "pinData"];

/// A signed-in user: the `n8n-auth` cookie (valid 7 days). Never printed.
#[derive(Clone)]
pub struct Session {
    cookie: String,
    /// The user's id from the login answer.
    pub user_id: String,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session").field("user_id", &self.user_id).field("cookie", &"<redacted>").finish()
    }
}

/// A client for one n8n instance.
#[derive(Clone)]
pub struct N8n {
    base: String,
    http: Client,
    api_key: Option<String>,
}

impl fmt::Debug for N8n {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = self.api_key.as_ref().map(|_| "<redacted>");
        f.debug_struct("N8n").field("base", &self.base).field("api_key", &key).finish()
    }
}

impl N8n {
    /// `base_url` like `http://127.0.0.1:5678` (a trailing slash is ignored).
    pub fn new(base_url: &str) -> N8n {
        let http = Client::builder().timeout(Duration::from_secs(30)).build().unwrap_or_default();
        N8n { base: base_url.trim_end_matches('/').to_string(), http, api_key: None }
    }

    /// The same client, authenticating the public API with `key`.
    pub fn with_api_key(mut self, key: impl Into<String>) -> N8n {
        self.api_key = Some(key.into());
        self
    }

    /// `GET /healthz/readiness`: 200 once the database is connected and migrated (503 before).
    pub async fn health(&self) -> ApiResult<()> {
        self.send(Method::GET, "/healthz/readiness", |r| r).await.map(|_| ())
    }

    /// `POST /rest/login`; the session is the `n8n-auth` cookie. Wrong credentials: 401. n8n rate-limits
    /// this endpoint (`X-RateLimit-Limit: 5`), so log in once per run.
    pub async fn login(&self, email: &str, password: &str) -> ApiResult<Session> {
        let body = json!({"emailOrLdapLoginId": email, "password": password});
        let request = "POST /rest/login";
        let resp = super::http::answered(request, self.http.post(self.url("/rest/login")).json(&body).send().await)?;
        let cookie = resp
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| c.split(';').next()?.trim().strip_prefix(&format!("{AUTH_COOKIE}=")).map(String::from));
        let (status, reply) = Self::read(request, resp).await?;
        let cookie = cookie.filter(|c| !c.is_empty()).ok_or_else(|| refused(request, status, format!("no {AUTH_COOKIE} cookie in the answer")))?;
        let user_id = reply["data"]["id"].as_str().unwrap_or_default().to_string();
        Ok(Session { cookie, user_id })
    }

    /// `POST /rest/api-keys` with [`API_KEY_SCOPES`], no expiry; returns the raw key (shown only this once).
    /// Labels must be unique per user: a repeated label is answered 500 "There is already an entry with this name".
    pub async fn create_api_key(&self, session: &Session, label: &str) -> ApiResult<String> {
        let body = json!({"label": label, "scopes": API_KEY_SCOPES, "expiresAt": null});
        let cookie = format!("{AUTH_COOKIE}={}", session.cookie);
        let reply = self.send(Method::POST, "/rest/api-keys", |r| r.header(header::COOKIE, cookie).json(&body)).await?;
        reply["data"]["rawApiKey"].as_str().map(String::from).ok_or_else(|| refused("POST /rest/api-keys", 200, "no data.rawApiKey in the answer"))
    }

    /// `POST /api/v1/workflows` with the writable fields of `workflow` (`name`, `nodes`, `connections`,
    /// `settings`, `staticData`, `pinData`; an export's `id`/`active`/`tags`/… are dropped); returns the id.
    /// `name`, `nodes`, `connections` and `settings` are required; the new workflow is unpublished.
    pub async fn create_workflow(&self, workflow: &Value) -> ApiResult<String> {
        let body: serde_json::Map<String, Value> = WRITABLE_FIELDS.iter().filter_map(|k| workflow.get(*k).map(|v| (k.to_string(), v.clone()))).collect();
        let reply = self.public(Method::POST, "/workflows", Some(Value::Object(body))).await?;
        reply["id"].as_str().map(String::from).ok_or_else(|| refused("POST /api/v1/workflows", 200, "no id in the answer"))
    }

    /// Publishes (n8n 1.x "activates") the current version: `POST /api/v1/workflows/{id}/publish`. On 2.41.1
    /// the deprecated `/activate` answers the same; both need scope `workflow:activate`. A webhook path already
    /// taken by another published workflow: 409. The 200 comes before the trigger is live — see [`N8n::wait_webhook`].
    pub async fn activate(&self, id: &str) -> ApiResult<()> {
        self.public(Method::POST, &format!("/workflows/{}/publish", enc(id)), Some(json!({}))).await.map(|_| ())
    }

    /// `POST /api/v1/workflows/{id}/unpublish` (deprecated alias `/deactivate`). Asynchronous like publishing:
    /// the webhook may still answer for ~0.1–0.7 s after the 200.
    pub async fn deactivate(&self, id: &str) -> ApiResult<()> {
        self.public(Method::POST, &format!("/workflows/{}/unpublish", enc(id)), None).await.map(|_| ())
    }

    /// Unpublishes, then `DELETE /api/v1/workflows/{id}`. n8n refuses to delete a published workflow (409
    /// "Cannot delete a published workflow"), and right after `/unpublish` it can still say so for ~0.1 s —
    /// so a 409 is retried every 100 ms for up to 5 s.
    pub async fn delete_workflow(&self, id: &str) -> ApiResult<()> {
        self.deactivate(id).await?;
        let start = Instant::now();
        loop {
            match self.public(Method::DELETE, &format!("/workflows/{}", enc(id)), None).await {
                Err(e) if e.status == 409 && start.elapsed() < Duration::from_secs(5) => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                other => return other.map(|_| ()),
            }
        }
    }

    /// `POST /webhook/<path>` with a JSON body; any HTTP answer is `Ok((status, body))`, the body parsed as
    /// JSON or else kept as a `Value::String` (empty: `Null`). An unregistered path: 404 "… is not registered";
    /// a workflow that fails with `responseMode: lastNode`: 500 `{"message":"Error in workflow"}`.
    pub async fn call_webhook(&self, path: &str, body: &Value) -> ApiResult<(u16, Value)> {
        let path = format!("/webhook/{}", path.trim_start_matches('/'));
        let request = format!("POST {path}");
        let resp = super::http::answered(&request, self.http.post(self.url(&path)).json(body).send().await)?;
        let status = resp.status().as_u16();
        let text = resp.text().await.map_err(|e| ApiError::transport(&request, e))?;
        let value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(_) if text.is_empty() => Value::Null,
            Err(_) => Value::String(text),
        };
        Ok((status, value))
    }

    /// [`N8n::call_webhook`], repeated every 100 ms while n8n answers 404 "not registered" (a just-published
    /// trigger), until `deadline`; then an error naming the path.
    pub async fn wait_webhook(&self, path: &str, body: &Value, deadline: Duration) -> ApiResult<(u16, Value)> {
        let start = Instant::now();
        loop {
            let (status, reply) = self.call_webhook(path, body).await?;
            let unregistered = status == 404 && reply["message"].as_str().is_some_and(|m| m.contains("not registered"));
            if !unregistered {
                return Ok((status, reply));
            }
            if start.elapsed() >= deadline {
                let message = format!("webhook still not registered after {:.1}s (workflow published?)", deadline.as_secs_f64());
                return Err(refused(format!("POST /webhook/{}", path.trim_start_matches('/')), status, message));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `GET /api/v1/executions?workflowId=…&includeData=true` — the newest (up to 20) first. A listing
    /// without `data`, or an execution with a status or mode n8n 2.41.1 does not have, is an error.
    pub async fn executions(&self, workflow_id: &str) -> ApiResult<Vec<Execution>> {
        let path = format!("/executions?workflowId={}&includeData=true&limit=20", enc(workflow_id));
        let reply = self.public(Method::GET, &path, None).await?;
        let list = reply["data"].as_array().ok_or_else(|| refused("GET /api/v1/executions", 200, "no data list in the answer"))?;
        list.iter().map(Execution::from_json).collect::<Result<_, _>>().map_err(|e| refused("GET /api/v1/executions", 200, e))
    }

    /// Polls [`N8n::executions`] until one of `workflow_id` is done and is not in `seen` (ids taken before the
    /// trigger), until `deadline`; the error names the workflow and the last statuses seen.
    pub async fn wait_execution(&self, workflow_id: &str, seen: &[String], deadline: Duration) -> ApiResult<Execution> {
        let start = Instant::now();
        loop {
            let list = self.executions(workflow_id).await?;
            if let Some(done) = list.iter().find(|e| e.status.is_terminal() && !seen.contains(&e.id)) {
                return Ok(done.clone());
            }
            if start.elapsed() >= deadline {
                let last: Vec<String> = list.iter().take(3).map(|e| format!("{}={}", e.id, e.status)).collect();
                let secs = deadline.as_secs_f64();
                let message = format!("no new finished execution of workflow {workflow_id} within {secs:.1}s (newest: [{}])", last.join(", "));
                return Err(refused(format!("GET /api/v1/executions?workflowId={workflow_id}"), 0, message));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// `GET /api/v1/credentials/schema/{type}`: the JSON schema n8n validates a credential's `data` against
    /// (`properties`, `required`, `additionalProperties: false`); an unknown type: 404.
    pub async fn credential_schema(&self, credential_type: &str) -> ApiResult<Value> {
        self.public(Method::GET, &format!("/credentials/schema/{}", enc(credential_type)), None).await
    }

    /// Creates `credential` under its fixed id (`POST /api/v1/credentials`, scope `credential:create`), in
    /// the owner's personal project, encrypted by n8n. A 409 ("A credential with this ID already exists")
    /// is checked with `GET /api/v1/credentials/{id}` (scope `credential:read`): the same name and type is
    /// [`Ensured::Existed`], anything else an error. The data is checked first against the type's schema,
    /// so a field n8n no longer knows is named here rather than in n8n's "request.body.data …" message.
    pub async fn ensure_credential(&self, credential: &CustomAuth) -> ApiResult<Ensured> {
        let request = "POST /api/v1/credentials";
        let schema = self.credential_schema(credential::CUSTOM_AUTH).await?;
        let data = credential.data();
        let known = |field: &str| schema["properties"].get(field).is_some();
        let sent: Vec<&String> = data.as_object().map(|o| o.keys().collect()).unwrap_or_default();
        let required: Vec<&str> = schema["required"].as_array().map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
        if let Some(field) = sent.iter().find(|f| !known(f)) {
            return Err(refused(request, 0, format!("{}: n8n's schema has no field {field:?}", credential::CUSTOM_AUTH)));
        }
        if let Some(field) = required.iter().find(|f| !sent.iter().any(|s| s == *f)) {
            return Err(refused(request, 0, format!("{}: n8n requires field {field:?}", credential::CUSTOM_AUTH)));
        }
        let body = json!({ "id": credential.id, "name": credential.name, "type": credential::CUSTOM_AUTH, "data": data });
        match self.public(Method::POST, "/credentials", Some(body)).await {
            Ok(reply) if reply["id"] == credential.id.as_str() => Ok(Ensured::Created),
            Ok(reply) => Err(refused(request, 200, format!("created credential {} instead of {}", reply["id"], credential.id))),
            Err(e) if e.status == 409 => {
                let there = self.public(Method::GET, &format!("/credentials/{}", enc(&credential.id)), None).await?;
                if there["type"] == credential::CUSTOM_AUTH && there["name"] == credential.name.as_str() {
                    Ok(Ensured::Existed)
                } else {
                    let found = format!("{} {:?} of type {}", credential.id, there["name"], there["type"]);
                    Err(refused(request, 409, format!("credential id taken by another credential: {found}")))
                }
            }
            Err(e) => Err(e),
        }
    }

    async fn public(&self, method: Method, path: &str, body: Option<Value>) -> ApiResult<Value> {
        let path = format!("/api/v1{path}");
        let Some(key) = self.api_key.clone() else {
            return Err(ApiError::transport(format!("{method} {path}"), "no API key (N8n::with_api_key)"));
        };
        self.send(method, &path, |r| {
            let r = r.header(API_KEY_HEADER, key);
            match &body {
                Some(b) => r.json(b),
                None => r,
            }
        })
        .await
    }

    async fn send(&self, method: Method, path: &str, build: impl FnOnce(RequestBuilder) -> RequestBuilder) -> ApiResult<Value> {
        let request = format!("{method} {}", path.split('?').next().unwrap_or(path));
        let resp = super::http::answered(&request, build(self.http.request(method, self.url(path))).send().await)?;
        Self::read(&request, resp).await.map(|(_, v)| v)
    }

    /// The JSON body of a 2xx answer, or the n8n error shape (`{message}`, `{code: 400|"invalid_type", message}`,
    /// `{status: "error", message}`) as an [`ApiError`]; a string `code` becomes `ApiError::code`.
    async fn read(request: &str, resp: reqwest::Response) -> ApiResult<(u16, Value)> {
        let status = resp.status();
        let text = resp.text().await.map_err(|e| ApiError::transport(request, e))?;
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status.is_success() {
            return Ok((status.as_u16(), value));
        }
        let message = match value["message"].as_str() {
            Some(m) => m.to_string(),
            None => text.chars().take(300).collect(),
        };
        let code = value["code"].as_str().map(String::from);
        Err(ApiError { request: request.to_string(), status: status.as_u16(), code, message })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

fn refused(request: impl Into<String>, status: u16, message: impl Into<String>) -> ApiError {
    ApiError { request: request.into(), status, code: None, message: message.into() }
}

/// Percent-encodes everything but RFC 3986 unreserved characters (ids, query values).
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
