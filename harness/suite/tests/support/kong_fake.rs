//! A fake of the gateway as upstream's `docker/volumes/api/kong.yml` configures Kong 3.9.3,
//! with stand-ins for the services behind it, for the gateway and REST contract tests.
//!
//! Routes and their plugins are written by hand from upstream's kong.yml (longest path prefix wins, the REST
//! root is an exact-path route); the answers are Kong 3.9.3's (`kong/plugins/{key-auth,acl,
//! basic-auth,request-termination}`, `kong.response.error`'s JSON template with `request_id`).
//! Behind `/rest/v1/`, PostgREST v14.17's JWT rules (`src/PostgREST/Auth/Jwt.hs`, jose-jwt's
//! parser, `Error.hs` codes and messages) decide who the request runs as. It deliberately shares
//! nothing with the steps' or the gateway's route table, so a wrong path, credential or guard there
//! shows here.

#![allow(dead_code)]

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const ANON: &str = "anon-key.jwt";
pub const SERVICE: &str = "service-role-key.jwt";
pub const JWT_SECRET: &str = "the-deployment-jwt-secret-of-at-least-32-chars";
pub const DASHBOARD: (&str, &str) = ("supabase", "dashboard-password");

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Group {
    Anon,
    Admin,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Upstream {
    Auth,
    Rest,
    GraphQl,
    Realtime,
    Meta,
    Studio,
    /// request-termination 403 "Access is forbidden."
    Terminated,
}

struct Route {
    path: &'static str,
    exact: bool,
    key_auth: bool,
    acl: &'static [Group],
    basic_auth: bool,
    upstream: Upstream,
}

const BOTH: &[Group] = &[Group::Admin, Group::Anon];
const ADMIN: &[Group] = &[Group::Admin];

/// Upstream kong.yml's services (the ones the checks reach).
const ROUTES: &[Route] = &[
    Route { path: "/auth/v1/", exact: false, key_auth: true, acl: BOTH, basic_auth: false, upstream: Upstream::Auth },
    Route { path: "/rest/v1/", exact: true, key_auth: true, acl: ADMIN, basic_auth: false, upstream: Upstream::Rest },
    Route { path: "/rest/v1/", exact: false, key_auth: true, acl: BOTH, basic_auth: false, upstream: Upstream::Rest },
    Route { path: "/graphql/v1", exact: false, key_auth: true, acl: BOTH, basic_auth: false, upstream: Upstream::GraphQl },
    Route { path: "/realtime/v1/api/openapi", exact: false, key_auth: false, acl: &[], basic_auth: false, upstream: Upstream::Terminated },
    Route { path: "/realtime/v1/api/tenants", exact: false, key_auth: false, acl: &[], basic_auth: false, upstream: Upstream::Terminated },
    Route { path: "/realtime/v1/api", exact: false, key_auth: true, acl: BOTH, basic_auth: false, upstream: Upstream::Realtime },
    Route { path: "/pg/", exact: false, key_auth: true, acl: ADMIN, basic_auth: false, upstream: Upstream::Meta },
    Route { path: "/", exact: false, key_auth: false, acl: &[], basic_auth: true, upstream: Upstream::Studio },
];

/// Starts a server answering every request as the gateway would.
pub async fn start() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(Kong).mount(&server).await;
    server
}

struct Kong;

impl Respond for Kong {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let path = req.url.path();
        let route = ROUTES
            .iter()
            .filter(|r| if r.exact { path == r.path } else { path.starts_with(r.path) })
            // Exact routes outrank prefixes; among prefixes the longest wins.
            .max_by_key(|r| (r.exact, r.path.len()))
            .expect("the catch-all route matches every path");
        if route.upstream == Upstream::Terminated {
            return ResponseTemplate::new(403).set_body_json(json!({ "message": "Access is forbidden." }));
        }
        if route.basic_auth && !login_ok(req) {
            return kong_error(401, "Unauthorized").insert_header("WWW-Authenticate", "Basic realm=\"service\"");
        }
        if route.key_auth {
            let group = match apikey(req).as_deref() {
                None => return kong_error(401, "No API key found in request").insert_header("WWW-Authenticate", "Key"),
                Some(ANON) => Group::Anon,
                Some(SERVICE) => Group::Admin,
                Some(_) => return kong_error(401, "Unauthorized").insert_header("WWW-Authenticate", "Key"),
            };
            if !route.acl.contains(&group) {
                return kong_error(403, "You cannot consume this service");
            }
        }
        // request-transformer (legacy keys): keep the client's Authorization, else the bare apikey.
        let authorization = header(req, "authorization").or_else(|| apikey(req));
        let rest_of = path.strip_prefix(route.path.trim_end_matches('/')).unwrap_or("");
        match route.upstream {
            Upstream::Auth if rest_of == "/settings" => {
                ResponseTemplate::new(200).set_body_json(json!({ "external": { "email": true }, "disable_signup": false }))
            }
            Upstream::Rest => match postgrest_role(authorization.as_deref()) {
                Err(refusal) => refusal,
                Ok(_) if route.exact => ResponseTemplate::new(200).set_body_json(json!({ "swagger": "2.0", "paths": {} })),
                Ok(_) if rest_of == "/todos" => ResponseTemplate::new(200).set_body_json(json!([])),
                Ok(_) => not_found(),
            },
            Upstream::GraphQl if req.method.as_str() == "POST" && body_has_query(req) => match postgrest_role(authorization.as_deref()) {
                Err(refusal) => refusal,
                Ok(_) => ResponseTemplate::new(200).set_body_json(json!({ "errors": [{ "message": "pg_graphql extension is not enabled." }] })),
            },
            Upstream::Realtime if rest_of == "/ping" => ResponseTemplate::new(200).set_body_json(json!({ "message": "Success" })),
            Upstream::Meta if rest_of == "/tables" => ResponseTemplate::new(200).set_body_json(json!([])),
            // Studio sends `/` on to its default project, as upstream's `curl -L` follows.
            Upstream::Studio if path == "/" => ResponseTemplate::new(307).insert_header("Location", "/project/default"),
            Upstream::Studio if path == "/project/default" => ResponseTemplate::new(200).set_body_raw("<html>Studio</html>", "text/html"),
            _ => not_found(),
        }
    }
}

fn header(req: &Request, name: &str) -> Option<String> {
    req.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// key-auth's defaults: the `apikey` header, else the `apikey` query parameter.
fn apikey(req: &Request) -> Option<String> {
    header(req, "apikey").or_else(|| req.url.query_pairs().find(|(k, _)| k == "apikey").map(|(_, v)| v.into_owned()))
}

fn login_ok(req: &Request) -> bool {
    let Some(encoded) = header(req, "authorization").and_then(|h| h.strip_prefix("Basic ").map(str::to_owned)) else { return false };
    let decoded = STANDARD.decode(encoded).ok().and_then(|b| String::from_utf8(b).ok()).unwrap_or_default();
    decoded == format!("{}:{}", DASHBOARD.0, DASHBOARD.1)
}

fn body_has_query(req: &Request) -> bool {
    serde_json::from_slice::<Value>(&req.body).ok().is_some_and(|b| b["query"].is_string())
}

/// `kong.response.error`'s JSON body.
fn kong_error(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_raw(format!("{{\n  \"message\":\"{message}\",\n  \"request_id\":\"4f1c2e0d9b8a7c6e5d4c3b2a\"\n}}"), "application/json; charset=utf-8")
}

fn not_found() -> ResponseTemplate {
    ResponseTemplate::new(404).set_body_json(json!({ "message": "no such path in the fake" }))
}

/// The role PostgREST runs a request as, or its 401. `Authorization` without `Bearer ` is no token
/// at all (Wai's `extractBearerAuth`), so the request runs as anon.
fn postgrest_role(authorization: Option<&str>) -> Result<String, ResponseTemplate> {
    let Some(token) = authorization.and_then(|h| h.get(..7).filter(|p| p.eq_ignore_ascii_case("bearer ")).map(|_| &h[7..])) else {
        return Ok("anon".into());
    };
    let refuse = |code: &str, message: &str, details: Option<&str>| {
        ResponseTemplate::new(401)
            .insert_header("WWW-Authenticate", format!("Bearer error=\"invalid_token\", error_description=\"{message}\"").as_str())
            .set_body_json(json!({ "code": code, "details": details, "hint": null, "message": message }))
    };
    if token.is_empty() {
        return Err(refuse("PGRST301", "Empty JWT is sent in Authorization header", None));
    }
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(refuse("PGRST301", &format!("Expected 3 parts in JWT; got {}", parts.len()), None));
    }
    let json_part = |p: &str| URL_SAFE_NO_PAD.decode(p).ok().and_then(|b| serde_json::from_slice::<Value>(&b).ok());
    let Some(header) = json_part(parts[0]) else { return Err(refuse("PGRST301", "JWT cryptographic operation failed", None)) };
    if header["alg"] == "none" {
        return Err(refuse("PGRST301", "Wrong or unsupported encoding algorithm", Some("JWT is unsecured but expected 'alg' was not 'none'")));
    }
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let key = jsonwebtoken::DecodingKey::from_secret(JWT_SECRET.as_bytes());
    if header["alg"] != "HS256" || jsonwebtoken::decode::<Value>(token, &key, &validation).is_err() {
        return Err(refuse("PGRST301", "No suitable key or wrong key type", Some("None of the keys was able to decode the JWT")));
    }
    let claims = json_part(parts[1]).unwrap_or(Value::Null);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    // 30 s of allowed clock skew.
    if claims["exp"].as_i64().is_some_and(|exp| now - 30 > exp) {
        return Err(refuse("PGRST303", "JWT expired", None));
    }
    Ok(claims["role"].as_str().unwrap_or("anon").to_owned())
}

/// An HS256 token of `claims` with the deployment's secret, as GoTrue issues them.
pub fn signed(claims: &Value) -> String {
    jsonwebtoken::encode(&jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256), claims, &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()))
        .unwrap()
}
