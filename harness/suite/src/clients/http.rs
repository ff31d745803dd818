//! What the HTTP clients share: one error shape for an upstream API's refusal, and the transport
//! failures that are not refusals.

use std::fmt;
use std::time::Duration;

use reqwest::Client;

/// A response the client did not expect, or a request that never got one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// `METHOD path` of the request, for the one-line report.
    pub request: String,
    /// HTTP status; 0 when no response arrived (connection refused, timeout, bad body).
    pub status: u16,
    /// The service's own error code when it sent one (GoTrue `error_code`, PostgREST `code`, ...).
    pub code: Option<String>,
    /// The service's message, or the transport error.
    pub message: String,
}

impl ApiError {
    /// A refusal read from a JSON body: the first of `code_keys` and the first of `message_keys`
    /// the body holds as a string (each service names them its own way), the body's start when it
    /// holds no message.
    pub fn from_body(request: &str, status: u16, body: &str, code_keys: &[&str], message_keys: &[&str]) -> ApiError {
        let v: serde_json::Value = serde_json::from_str(body).unwrap_or(serde_json::Value::Null);
        let first = |keys: &[&str]| keys.iter().find_map(|k| v.get(*k).and_then(serde_json::Value::as_str).map(str::to_owned));
        ApiError { request: request.to_owned(), status, code: first(code_keys), message: first(message_keys).unwrap_or_else(|| snippet(body)) }
    }

    pub fn transport(request: impl Into<String>, err: impl fmt::Display) -> ApiError {
        ApiError { request: request.into(), status: 0, code: None, message: err.to_string() }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.status, &self.code) {
            (0, _) => write!(f, "{}: no response: {}", self.request, self.message),
            (s, Some(code)) => write!(f, "{}: HTTP {s} {code}: {}", self.request, self.message),
            (s, None) => write!(f, "{}: HTTP {s}: {}", self.request, self.message),
        }
    }
}

impl std::error::Error for ApiError {}

pub type ApiResult<T> = std::result::Result<T, ApiError>;

/// The header the offline placeholder (`stacks/offline/placeholder`) puts on every answer:
/// `<stack>/<service> (<official image>)`.
pub const PLACEHOLDER_HEADER: &str = "x-aiwah-placeholder";

/// The `code` of an [`ApiError`] for a placeholder's answer.
pub const PLACEHOLDER_CODE: &str = "aiwah-placeholder";

/// Placeholders that answered a client of this process (see [`take_placeholder_answers`]).
static PLACEHOLDER_ANSWERS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// The response to a request, unless a placeholder gave it: then an error naming the placeholder,
/// so that no step can take a placeholder's answer for the service's. Every HTTP client's
/// responses come through here.
pub fn answered(request: &str, sent: reqwest::Result<reqwest::Response>) -> ApiResult<reqwest::Response> {
    let response = sent.map_err(|e| ApiError::transport(request, e.without_url()))?;
    match placeholder_of(response.headers()) {
        Some(holder) => Err(ApiError {
            request: request.to_owned(),
            status: response.status().as_u16(),
            code: Some(PLACEHOLDER_CODE.to_owned()),
            message: placeholder_message(&holder),
        }),
        None => Ok(response),
    }
}

/// The placeholder that marked an answer with `headers` (recorded for the runner), if one did.
pub fn placeholder_of(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let holder = String::from_utf8_lossy(headers.get(PLACEHOLDER_HEADER)?.as_bytes()).into_owned();
    PLACEHOLDER_ANSWERS.lock().unwrap_or_else(|e| e.into_inner()).push(holder.clone());
    Some(holder)
}

pub fn placeholder_message(holder: &str) -> String {
    format!("answered by the placeholder for {holder}: the real service does not run here, so this answer proves nothing")
}

/// The placeholders that answered since the last call: a scenario that got any answer from one
/// fails, whatever its steps made of it.
pub fn take_placeholder_answers() -> Vec<String> {
    std::mem::take(&mut *PLACEHOLDER_ANSWERS.lock().unwrap_or_else(|e| e.into_inner()))
}

/// The start of a body for a one-line report.
pub(crate) fn snippet(body: &str) -> String {
    let body = body.trim();
    if body.is_empty() { "(empty body)".to_owned() } else { body.chars().take(200).collect() }
}

/// A client with a timeout, so a hung gateway fails a check instead of stalling the run.
pub(crate) fn client() -> Client {
    Client::builder().timeout(Duration::from_secs(30)).build().unwrap_or_else(|_| Client::new())
}
