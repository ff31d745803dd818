//! Typed async client for Edge Functions (supabase/edge-runtime) behind the gateway at
//! `/functions/v1/<name>`.
//!
//! Kong puts no key-auth on `/functions/v1/`: the runtime's main service
//! (stacks/supabase/volumes/functions/main) checks the JWT itself when `VERIFY_JWT` is on, then hands
//! the request to the function's worker. A call carries `Authorization: Bearer <key>` only, as
//! upstream's smoke test does. Refusals of the main service become [`ApiError`]s: its 401
//! `{"code","message","msg"}` (code also in the `sb-error-code` header) and its 400/500 `{"msg"}`.

use reqwest::Client;
use serde_json::Value;

use super::http::client;
use super::http::{ApiError, ApiResult};
use super::rest::encode;

/// Edge Functions through the gateway.
#[derive(Clone)]
pub struct Functions {
    client: Client,
    base: String,
}

/// A function's answer: status and body as sent (a function may answer any bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: String,
}

impl Functions {
    /// `gateway` is the gateway base URL (`http://127.0.0.1:8000`).
    pub fn new(gateway: &str) -> Functions {
        Functions { client: client(), base: gateway.trim_end_matches('/').to_owned() }
    }

    /// POSTs `body` as JSON to function `name`; a non-2xx answer is an [`ApiError`].
    pub async fn invoke(&self, name: &str, bearer: Option<&str>, body: &Value) -> ApiResult<Answer> {
        let path = format!("/functions/v1/{}", encode(name));
        let label = format!("POST {path}");
        let mut req = self.client.post(format!("{}{path}", self.base)).json(body);
        if let Some(token) = bearer {
            req = req.bearer_auth(token);
        }
        let resp = super::http::answered(&label, req.send().await)?;
        let status = resp.status().as_u16();
        let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let (content_type, error_code) = (header("content-type"), header("sb-error-code"));
        let body = resp.text().await.map_err(|e| ApiError::transport(&label, e.without_url()))?;
        if (200..300).contains(&status) { Ok(Answer { status, content_type, body }) } else { Err(refusal(&label, status, error_code, &body)) }
    }
}

fn refusal(request: &str, status: u16, header_code: Option<String>, body: &str) -> ApiError {
    let err = ApiError::from_body(request, status, body, &["code"], &["message", "msg"]);
    ApiError { code: err.code.or(header_code), ..err }
}
