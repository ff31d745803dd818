//! Raw requests through the gateway (Kong on the public port) with exactly the credentials given:
//! an `apikey` header, a bearer token, a basic-auth login, or none. The answer comes back whole —
//! status, the `message` Kong (or the service) put in a JSON body, `WWW-Authenticate` — because the
//! checks built on it are about *who* refused, which the message tells apart (key-auth, ACL,
//! request-termination, basic-auth all answer in Kong's own words).

use reqwest::header::WWW_AUTHENTICATE;
use reqwest::{Client, Method};
use serde_json::Value;

use super::http::client;
use super::http::{ApiError, ApiResult};

/// One request through the gateway. Nothing is added that is not named here.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub method: Method,
    /// Path and query under the gateway (`/rest/v1/`, `/realtime/v1/api/ping`).
    pub path: String,
    pub apikey: Option<String>,
    pub bearer: Option<String>,
    /// HTTP basic auth: (user, password).
    pub login: Option<(String, String)>,
    pub body: Option<Value>,
}

impl Request {
    pub fn new(method: Method, path: &str) -> Request {
        Request { method, path: path.to_owned(), apikey: None, bearer: None, login: None, body: None }
    }
}

/// What the gateway answered, after following redirects (as `curl -L` does in upstream's tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// `message` of a JSON body: Kong's refusals (`No API key found in request`), Realtime's ping.
    pub message: Option<String>,
    pub www_authenticate: Option<String>,
    pub body: String,
}

/// The gateway at its base URL (`http://127.0.0.1:8000`).
#[derive(Clone)]
pub struct Gateway {
    client: Client,
    base: String,
}

impl Gateway {
    pub fn new(gateway: &str) -> Gateway {
        Gateway { client: client(), base: gateway.trim_end_matches('/').to_owned() }
    }

    /// Sends `req`; any status is an answer, only a transport failure is an error.
    pub async fn send(&self, req: &Request) -> ApiResult<Answer> {
        let path = if req.path.starts_with('/') { req.path.clone() } else { format!("/{}", req.path) };
        // The query string stays out of the label in case a probe passes a key in it.
        let label = format!("{} {}", req.method, path.split('?').next().unwrap_or(""));
        // Kong picks its error body's format from Accept; ask for the JSON one.
        let mut builder = self.client.request(req.method.clone(), format!("{}{path}", self.base)).header("accept", "application/json");
        if let Some(key) = &req.apikey {
            builder = builder.header("apikey", key);
        }
        if let Some(token) = &req.bearer {
            builder = builder.bearer_auth(token);
        }
        if let Some((user, password)) = &req.login {
            builder = builder.basic_auth(user, Some(password));
        }
        if let Some(body) = &req.body {
            builder = builder.json(body);
        }
        let resp = super::http::answered(&label, builder.send().await)?;
        let status = resp.status().as_u16();
        let www_authenticate = resp.headers().get(WWW_AUTHENTICATE).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = resp.text().await.map_err(|e| ApiError::transport(&label, e.without_url()))?;
        let message = serde_json::from_str::<Value>(&body).ok().and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned));
        Ok(Answer { status, message, www_authenticate, body })
    }
}
