//! Typed async client for PostgREST behind the gateway at `/rest/v1`: select, insert, update,
//! delete and exact counts on a table. Raw requests to other gateway paths: [`super::gateway`].
//!
//! Every call carries `apikey`; `bearer: Some(jwt)` adds `Authorization: Bearer <jwt>`, which is
//! what PostgREST switches role on. With `bearer: None` only `apikey` is sent and the gateway picks
//! the role: Kong's request-transformer (`Forwarding::BearerFromKey`, harness/src/gateway/routes.rs) keeps a
//! client `Authorization`, else sets it from the apikey — `Bearer <role JWT>` for opaque `sb_` keys,
//! but the bare legacy key without `Bearer ` otherwise, which PostgREST ignores, so the request runs
//! as `anon`. We do not copy the apikey into `Authorization` ourselves, so that "no bearer" means
//! exactly what the gateway grants a bare key — the thing the security checks probe.
//!
//! PostgREST errors (`{"code","message","details","hint"}`) become [`ApiError`] with the SQLSTATE
//! or `PGRSTxxx` code as `code`.

use reqwest::header::HeaderMap;
use reqwest::{Client, Method, RequestBuilder};
use serde_json::Value;

use super::http::client;
use super::http::{ApiError, ApiResult};

/// PostgREST through the gateway.
#[derive(Clone)]
pub struct Rest {
    client: Client,
    base: String,
    apikey: String,
}

impl Rest {
    /// `gateway` is the gateway base URL (`http://127.0.0.1:8000`); `apikey` goes on every call.
    pub fn new(gateway: &str, apikey: &str) -> Rest {
        Rest { client: client(), base: gateway.trim_end_matches('/').to_owned(), apikey: apikey.to_owned() }
    }

    /// `query` is a raw PostgREST query string (`select=*&user_id=eq.X`); encode values with
    /// [`encode`].
    pub async fn select(&self, table: &str, query: &str, bearer: Option<&str>) -> ApiResult<Vec<Value>> {
        self.rows(Method::GET, table, query, None, bearer).await
    }

    /// Inserts one object or an array of them and returns the inserted rows.
    pub async fn insert(&self, table: &str, rows: &Value, bearer: Option<&str>) -> ApiResult<Vec<Value>> {
        self.rows(Method::POST, table, "", Some(rows), bearer).await
    }

    /// Patches the rows `query` selects and returns them; rows hidden by RLS come back as `[]`.
    pub async fn update(&self, table: &str, query: &str, patch: &Value, bearer: Option<&str>) -> ApiResult<Vec<Value>> {
        self.rows(Method::PATCH, table, query, Some(patch), bearer).await
    }

    /// Deletes the rows `query` selects and returns them.
    pub async fn delete(&self, table: &str, query: &str, bearer: Option<&str>) -> ApiResult<Vec<Value>> {
        self.rows(Method::DELETE, table, query, None, bearer).await
    }

    /// Exact row count of `query` from `Content-Range` (`0-0/5`, `*/0`). A GET limited to one row
    /// rather than HEAD, so a refusal still carries PostgREST's error body.
    pub async fn count(&self, table: &str, query: &str, bearer: Option<&str>) -> ApiResult<u64> {
        let (label, req) = self.table_request(Method::GET, table, query, bearer);
        let req = req.header("Prefer", "count=exact").header("Range-Unit", "items").header("Range", "0-0");
        let (status, headers, body) = exchange(&label, req).await?;
        if !(200..300).contains(&status) {
            return Err(refusal(&label, status, &body));
        }
        let range = headers.get("content-range").and_then(|v| v.to_str().ok()).unwrap_or("");
        parse_total(range).ok_or_else(|| ApiError::transport(label, format!("no total in Content-Range {range:?}")))
    }

    async fn rows(&self, method: Method, table: &str, query: &str, body: Option<&Value>, bearer: Option<&str>) -> ApiResult<Vec<Value>> {
        let writes = method != Method::GET;
        let (label, mut req) = self.table_request(method, table, query, bearer);
        if writes {
            // Without it PostgREST answers writes with an empty body and nothing to assert on.
            req = req.header("Prefer", "return=representation");
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let (status, _, text) = exchange(&label, req).await?;
        if !(200..300).contains(&status) {
            return Err(refusal(&label, status, &text));
        }
        serde_json::from_str(&text).map_err(|e| ApiError::transport(label, format!("unexpected response body: {e}")))
    }

    fn table_request(&self, method: Method, table: &str, query: &str, bearer: Option<&str>) -> (String, RequestBuilder) {
        let mut path = format!("/rest/v1/{}", encode(table));
        if !query.is_empty() {
            path = format!("{path}?{query}");
        }
        let label = format!("{method} {path}");
        let mut req = self.client.request(method, format!("{}{path}", self.base)).header("apikey", &self.apikey);
        if let Some(token) = bearer {
            req = req.bearer_auth(token);
        }
        (label, req)
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters, for one path segment or one
/// query value (`format!("user_id=eq.{}", encode(id))`).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The total of a `Content-Range` value: `0-4/5` → 5, `*/0` → 0, `0-4/*` → None.
fn parse_total(range: &str) -> Option<u64> {
    range.rsplit_once('/')?.1.trim().parse().ok()
}

async fn exchange(label: &str, req: RequestBuilder) -> ApiResult<(u16, HeaderMap, String)> {
    let resp = super::http::answered(label, req.send().await)?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.text().await.map_err(|e| ApiError::transport(label, e.without_url()))?;
    Ok((status, headers, body))
}

/// PostgREST's `{"code","message",…}`; Kong's `{"message"}` refusals keep `code` empty.
fn refusal(request: &str, status: u16, body: &str) -> ApiError {
    ApiError::from_body(request, status, body, &["code"], &["message"])
}
