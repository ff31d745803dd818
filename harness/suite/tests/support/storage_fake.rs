//! A stateful wiremock fake of Kong's `/storage/v1/` route in front of supabase/storage, for the
//! storage client's contract tests. What it reproduces (storage v1.70.6 source — the newest the
//! mirror holds; the image pins v1.74.0 — and supabase/supabase docker/volumes/api/kong.yml):
//!
//! - Kong: no key-auth on `/storage/v1/`, `strip_path`; its request-transformer keeps a client
//!   `Authorization` and otherwise sets it to the bare `apikey` (legacy keys), dropping it when
//!   empty. Authenticated routes require the header in their schema (`authSchema`), checked before
//!   the JWT: without it Fastify's validation answers `InvalidRequest`; then Storage strips an
//!   optional `Bearer ` and verifies the JWT, and a bad one is `AccessDenied`.
//! - Routes: `POST /bucket`, `GET|DELETE /bucket/{id}`, `POST /object/{bucket}/{name}`,
//!   `GET /object/authenticated/…`, `GET /object/public/…` (no auth, public buckets only),
//!   `POST /object/sign/…` → `{"signedURL":"/object/sign/{bucket}/{name}?token=…"}`,
//!   `GET /object/sign/…?token=` (no auth; token bound to its object), `DELETE /object/…`.
//! - Errors: HTTP 400 with `{"statusCode":"<real status>","code","error","message"}` (storage's
//!   `userStatusCode`), e.g. NoSuchKey `404`/`not_found`, NoSuchBucket `404`/`Bucket not found`.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use wiremock::matchers::path_regex;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// The service role key: the one JWT this fake's Storage accepts as signed by its secret.
pub const SERVICE_KEY: &str = "eyJhbGciOiJIUzI1NiJ9.service-role.signed-with-the-deployment-secret";

#[derive(Default)]
pub struct State {
    /// Bucket id → public.
    pub buckets: BTreeMap<String, bool>,
    /// (bucket, name) → (content, content type).
    pub objects: BTreeMap<(String, String), (Vec<u8>, String)>,
    /// Signed-URL token → the `bucket/name` it was issued for.
    pub tokens: BTreeMap<String, String>,
    /// `METHOD path` of every request, in order.
    pub requests: Vec<String>,
}

pub struct StorageFake {
    pub server: MockServer,
    pub state: Arc<Mutex<State>>,
}

impl StorageFake {
    pub async fn start() -> StorageFake {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        Mock::given(path_regex(".*")).respond_with(move |req: &Request| respond(&mut shared.lock().unwrap(), req)).mount(&server).await;
        StorageFake { server, state }
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }
}

/// Storage's rendered error: HTTP 400 unless the real status is 500.
fn storage_error(status: &str, code: &str, error: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(400).set_body_json(json!({ "statusCode": status, "code": code, "error": error, "message": message }))
}

fn no_such_bucket() -> ResponseTemplate {
    storage_error("404", "NoSuchBucket", "Bucket not found", "Bucket not found")
}

fn no_such_key() -> ResponseTemplate {
    storage_error("404", "NoSuchKey", "not_found", "Object not found")
}

fn deleted() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({ "message": "Successfully deleted" }))
}

/// Kong's transformer, the route's header schema, then Storage's JWT check.
fn authenticate(req: &Request) -> Result<(), ResponseTemplate> {
    let header = |name: &str| req.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let authorization = header("authorization").or_else(|| header("apikey")).filter(|v| !v.trim().is_empty());
    let Some(authorization) = authorization else {
        // Fastify's FST_ERR_VALIDATION, mapped to InvalidRequest; `error` is the error's name.
        return Err(storage_error("400", "InvalidRequest", "FastifyError", "headers must have required property 'authorization'"));
    };
    let jwt = authorization.strip_prefix("Bearer ").unwrap_or(&authorization).trim();
    if jwt == SERVICE_KEY { Ok(()) } else { Err(storage_error("403", "AccessDenied", "Unauthorized", "signature verification failed")) }
}

fn bytes(content: &(Vec<u8>, String)) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(content.0.clone(), &content.1)
}

fn respond(state: &mut State, req: &Request) -> ResponseTemplate {
    let method = req.method.as_str().to_owned();
    let full = req.url.path().to_owned();
    state.requests.push(format!("{method} {full}"));
    let Some(path) = full.strip_prefix("/storage/v1/") else {
        return ResponseTemplate::new(404).set_body_json(json!({ "message": "no Route matched with those values" }));
    };
    let segments: Vec<&str> = path.splitn(2, '/').collect();
    let rest = segments.get(1).copied().unwrap_or_default();
    let split_object = |rest: &str| rest.split_once('/').map(|(b, n)| (b.to_owned(), n.to_owned())).filter(|(b, n)| !b.is_empty() && !n.is_empty());
    let authenticated = |req: &Request| authenticate(req);
    match (method.as_str(), segments[0], rest) {
        ("POST", "bucket", "") => {
            if let Err(refusal) = authenticated(req) {
                return refusal;
            }
            let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
            let Some(name) = body["name"].as_str() else {
                return storage_error("400", "InvalidRequest", "FastifyError", "body must have required property 'name'");
            };
            let id = body["id"].as_str().unwrap_or(name).to_owned();
            if state.buckets.contains_key(&id) {
                return storage_error("409", "BucketAlreadyExists", "Duplicate", "The resource already exists");
            }
            state.buckets.insert(id, body["public"].as_bool().unwrap_or(false));
            ResponseTemplate::new(200).set_body_json(json!({ "name": name }))
        }
        ("GET" | "DELETE", "bucket", id) if !id.is_empty() && !id.contains('/') => {
            if let Err(refusal) = authenticated(req) {
                return refusal;
            }
            let Some(public) = state.buckets.get(id).copied() else { return no_such_bucket() };
            if method == "GET" {
                let when = "2026-09-01T10:00:00.000Z";
                return ResponseTemplate::new(200).set_body_json(json!({
                    "id": id, "name": id, "owner": "", "public": public, "type": "STANDARD", "file_size_limit": null,
                    "allowed_mime_types": null, "created_at": when, "updated_at": when
                }));
            }
            if state.objects.keys().any(|(b, _)| b == id) {
                return storage_error("409", "ResourceNotEmpty", "ResourceNotEmpty", "The bucket you tried to delete is not empty");
            }
            state.buckets.remove(id);
            deleted()
        }
        ("GET", "object", rest) if rest.starts_with("sign/") => {
            let Some((bucket, name)) = split_object(&rest["sign/".len()..]) else { return not_found(&method, &full) };
            let Some(token) = req.url.query_pairs().find(|(k, _)| k == "token").map(|(_, v)| v.into_owned()) else {
                return storage_error("400", "InvalidRequest", "FastifyError", "querystring must have required property 'token'");
            };
            let Some(url) = state.tokens.get(&token) else {
                return storage_error("400", "InvalidJWT", "InvalidJWT", "Invalid Compact JWS");
            };
            if *url != format!("{bucket}/{name}") {
                return storage_error("400", "InvalidSignature", "InvalidSignature", "Invalid signature");
            }
            state.objects.get(&(bucket, name)).map_or_else(no_such_key, bytes)
        }
        ("POST", "object", rest) if rest.starts_with("sign/") => {
            if let Err(refusal) = authenticated(req) {
                return refusal;
            }
            let Some((bucket, name)) = split_object(&rest["sign/".len()..]) else { return not_found(&method, &full) };
            let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
            if body["expiresIn"].as_u64().is_none_or(|s| s < 1) {
                return storage_error("400", "InvalidRequest", "FastifyError", "body must have required property 'expiresIn'");
            }
            if !state.objects.contains_key(&(bucket.clone(), name.clone())) {
                return no_such_key();
            }
            let token = format!("signed-{}-{}", state.tokens.len(), name.len());
            state.tokens.insert(token.clone(), format!("{bucket}/{name}"));
            ResponseTemplate::new(200).set_body_json(json!({ "signedURL": format!("/object/sign/{bucket}/{name}?token={token}") }))
        }
        ("GET", "object", rest) if rest.starts_with("public/") => {
            let Some((bucket, name)) = split_object(&rest["public/".len()..]) else { return not_found(&method, &full) };
            if state.buckets.get(&bucket) != Some(&true) {
                return no_such_bucket();
            }
            state.objects.get(&(bucket, name)).map_or_else(no_such_key, bytes)
        }
        ("GET", "object", rest) if rest.starts_with("authenticated/") => {
            if let Err(refusal) = authenticated(req) {
                return refusal;
            }
            let Some((bucket, name)) = split_object(&rest["authenticated/".len()..]) else { return not_found(&method, &full) };
            if !state.buckets.contains_key(&bucket) {
                return no_such_bucket();
            }
            state.objects.get(&(bucket, name)).map_or_else(no_such_key, bytes)
        }
        ("POST" | "DELETE", "object", rest) => {
            if let Err(refusal) = authenticated(req) {
                return refusal;
            }
            let Some((bucket, name)) = split_object(rest) else { return not_found(&method, &full) };
            let key = (bucket.clone(), name.clone());
            if method == "DELETE" {
                return if state.objects.remove(&key).is_some() { deleted() } else { no_such_key() };
            }
            if !state.buckets.contains_key(&bucket) {
                return no_such_bucket();
            }
            let upsert = req.headers.get("x-upsert").is_some_and(|v| v == "true");
            if state.objects.contains_key(&key) && !upsert {
                return storage_error("409", "KeyAlreadyExists", "Duplicate", "The resource already exists");
            }
            let content_type = req.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("application/octet-stream").to_owned();
            state.objects.insert(key, (req.body.clone(), content_type));
            let id = format!("00000000-0000-4000-8000-{:012}", state.objects.len());
            ResponseTemplate::new(200).set_body_json(json!({ "Id": id, "Key": format!("{bucket}/{name}") }))
        }
        _ => not_found(&method, &full),
    }
}

/// Storage's not-found handler (`setRestNotFoundHandler`): a real 404.
fn not_found(method: &str, path: &str) -> ResponseTemplate {
    let route = path.strip_prefix("/storage/v1").unwrap_or(path);
    ResponseTemplate::new(404).set_body_json(json!({
        "statusCode": "404", "error": "Not Found", "message": format!("Route {method}:{route} not found"), "code": "InvalidRequest"
    }))
}
