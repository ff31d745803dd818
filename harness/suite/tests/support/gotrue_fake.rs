//! A stateful fake of GoTrue (supabase/auth v2.196.0) behind Kong's key-auth, for the auth
//! contract tests: users, sessions and refresh tokens of algorithm version 0 (12 characters).
//!
//! What it reproduces, from upstream source:
//! - refresh (`internal/tokens/service.go` `RefreshTokenGrant`): an unknown token is 400
//!   `refresh_token_not_found`; a live token is revoked and its child issued; a revoked token whose
//!   child is the session's active token is answered with that active token; any other revoked
//!   token past the reuse interval revokes every token of its session (`RevokeTokenFamily`) and is
//!   400 `refresh_token_already_used`; inside the interval it is swapped like a live one.
//! - logout (`internal/api/logout.go`, scope global): deletes the user's sessions; their refresh
//!   tokens go with them (`on delete cascade`), and `/user` with the session's access token is 403
//!   `session_not_found` (`maybeLoadUserOrSession`).
//! - admin (`requireAdminCredentials`): no bearer 401 `no_authorization`; a role not in
//!   `GOTRUE_JWT_ADMIN_ROLES` 403 `not_admin`.
//! - errors in the default API version's shape (`apierrors.HTTPError`): `{"code": <status>,
//!   "error_code": "...", "msg": "..."}`, the code also in `x-sb-error-code`.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const ANON: &str = "anon-key.jwt";
pub const SERVICE: &str = "service-role-key.jwt";

struct Token {
    token: String,
    session: u64,
    parent: Option<String>,
    revoked: bool,
    updated: Instant,
}

#[derive(Default)]
struct Store {
    /// email → (user id, password)
    users: HashMap<String, (String, String)>,
    /// session → user id
    sessions: HashMap<u64, String>,
    tokens: Vec<Token>,
    /// access token → session
    access: HashMap<String, u64>,
    next: u64,
}

#[derive(Clone)]
pub struct GoTrue {
    store: Arc<Mutex<Store>>,
    reuse_interval: Duration,
}

/// `GOTRUE_SECURITY_REFRESH_TOKEN_REUSE_INTERVAL` as the auth service of our compose file pins it.
pub fn pinned_reuse_interval() -> Duration {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../../stacks/supabase/compose.yml");
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{file}: {e}"));
    let auth = text.split("\n  auth:\n").nth(1).and_then(|t| t.split("\n  rest:\n").next()).unwrap_or_else(|| panic!("{file}: no auth service"));
    let value = auth
        .lines()
        .find_map(|l| l.trim().strip_prefix("GOTRUE_SECURITY_REFRESH_TOKEN_REUSE_INTERVAL:"))
        .unwrap_or_else(|| panic!("{file}: the auth service does not pin GOTRUE_SECURITY_REFRESH_TOKEN_REUSE_INTERVAL"));
    Duration::from_secs(value.trim().trim_matches('"').parse().unwrap_or_else(|e| panic!("{file}: reuse interval {value:?}: {e}")))
}

impl GoTrue {
    /// Starts a gateway whose `/auth/v1` is this fake; `users` are (email, password) pairs.
    pub async fn start(reuse_interval: Duration, users: &[(&str, &str)]) -> (MockServer, GoTrue) {
        let fake = GoTrue { store: Arc::default(), reuse_interval };
        {
            let mut store = fake.store.lock().unwrap();
            for (i, (email, password)) in users.iter().enumerate() {
                store.users.insert(email.to_string(), (format!("00000000-0000-4000-8000-{i:012}"), password.to_string()));
            }
        }
        let server = MockServer::start().await;
        Mock::given(any()).respond_with(fake.clone()).mount(&server).await;
        (server, fake)
    }

    /// Refresh tokens of every session, revoked or not (for asserting the fake's own state).
    pub fn live_tokens(&self) -> usize {
        self.store.lock().unwrap().tokens.iter().filter(|t| !t.revoked).count()
    }
}

fn error(status: u16, code: &str, msg: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).insert_header("x-sb-error-code", code).set_body_json(json!({ "code": status, "error_code": code, "msg": msg }))
}

fn user_json(id: &str, email: &str) -> Value {
    json!({ "id": id, "aud": "authenticated", "role": "authenticated", "email": email, "app_metadata": { "provider": "email" }, "user_metadata": {} })
}

impl Store {
    fn new_token(&mut self, session: u64, parent: Option<String>) -> String {
        self.next += 1;
        let token = format!("rt{:010}", self.next);
        self.tokens.push(Token { token: token.clone(), session, parent, revoked: false, updated: Instant::now() });
        token
    }

    fn session_answer(&mut self, session: u64, refresh: String) -> ResponseTemplate {
        self.next += 1;
        let access = format!("access-{session}-{}", self.next);
        self.access.insert(access.clone(), session);
        let id = self.sessions[&session].clone();
        let email = self.users.iter().find(|(_, (uid, _))| *uid == id).map(|(e, _)| e.clone()).unwrap_or_default();
        ResponseTemplate::new(200).set_body_json(json!({
            "access_token": access, "token_type": "bearer", "expires_in": 3600, "expires_at": 1772362800u64,
            "refresh_token": refresh, "user": user_json(&id, &email)
        }))
    }

    fn refresh(&mut self, token: &str, reuse_interval: Duration) -> ResponseTemplate {
        let Some(i) = self.tokens.iter().position(|t| t.token == token) else {
            return error(400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found");
        };
        let session = self.tokens[i].session;
        if self.tokens[i].revoked {
            let active = self.tokens.iter().rev().find(|t| t.session == session && !t.revoked);
            if let Some(active) = active.filter(|a| a.parent.as_deref() == Some(token)) {
                let active = active.token.clone();
                return self.session_answer(session, active);
            }
            if self.tokens[i].updated.elapsed() >= reuse_interval {
                for t in self.tokens.iter_mut().filter(|t| t.session == session && !t.revoked) {
                    t.revoked = true;
                    t.updated = Instant::now();
                }
                return error(400, "refresh_token_already_used", "Invalid Refresh Token: Already Used");
            }
        }
        self.tokens[i].revoked = true;
        self.tokens[i].updated = Instant::now();
        let child = self.new_token(session, Some(token.to_owned()));
        self.session_answer(session, child)
    }
}

impl Respond for GoTrue {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        // Kong's key-auth in front of `/auth/v1/`.
        match req.headers.get("apikey").and_then(|v| v.to_str().ok()) {
            None => return ResponseTemplate::new(401).set_body_json(json!({ "message": "No API key found in request" })),
            Some(ANON) | Some(SERVICE) => {}
            Some(_) => return ResponseTemplate::new(401).set_body_json(json!({ "message": "Unauthorized" })),
        }
        let bearer = req.headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|h| h.strip_prefix("Bearer ")).map(str::to_owned);
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        let grant = req.url.query_pairs().find(|(k, _)| k == "grant_type").map(|(_, v)| v.into_owned());
        let mut store = self.store.lock().unwrap();
        match (req.method.as_str(), req.url.path(), grant.as_deref()) {
            ("POST", "/auth/v1/token", Some("password")) => {
                let email = body["email"].as_str().unwrap_or("");
                match store.users.get(email).cloned() {
                    Some((id, pw)) if body["password"] == pw.as_str() => {
                        store.next += 1;
                        let session = store.next;
                        store.sessions.insert(session, id);
                        let refresh = store.new_token(session, None);
                        store.session_answer(session, refresh)
                    }
                    _ => error(400, "invalid_credentials", "Invalid login credentials"),
                }
            }
            ("POST", "/auth/v1/token", Some("refresh_token")) => match body["refresh_token"].as_str() {
                None | Some("") => {
                    ResponseTemplate::new(400).set_body_json(json!({ "error": "invalid_request", "error_description": "refresh_token required" }))
                }
                Some(token) => store.refresh(token, self.reuse_interval),
            },
            ("POST", "/auth/v1/logout", _) => match bearer.and_then(|b| store.access.get(&b).copied()) {
                None => error(401, "no_authorization", "This endpoint requires a valid Bearer token"),
                Some(session) => {
                    let user = store.sessions.get(&session).cloned();
                    store.sessions.retain(|_, u| Some(&*u) != user.as_ref());
                    let sessions: Vec<u64> = store.sessions.keys().copied().collect();
                    store.tokens.retain(|t| sessions.contains(&t.session));
                    ResponseTemplate::new(204)
                }
            },
            ("GET", "/auth/v1/user", _) => match bearer.and_then(|b| store.access.get(&b).copied()) {
                None => error(403, "bad_jwt", "invalid JWT: unable to parse or verify signature"),
                Some(session) => match store.sessions.get(&session).cloned() {
                    None => error(403, "session_not_found", "Session from session_id claim in JWT does not exist"),
                    Some(id) => {
                        let email = store.users.iter().find(|(_, (uid, _))| *uid == id).map(|(e, _)| e.clone()).unwrap_or_default();
                        ResponseTemplate::new(200).set_body_json(user_json(&id, &email))
                    }
                },
            },
            ("GET", "/auth/v1/admin/users", _) => match bearer.as_deref() {
                None => error(401, "no_authorization", "This endpoint requires a valid Bearer token"),
                Some(SERVICE) => {
                    let users: Vec<Value> = store.users.iter().map(|(email, (id, _))| user_json(id, email)).collect();
                    ResponseTemplate::new(200).set_body_json(json!({ "aud": "authenticated", "users": users }))
                }
                // The anon key parses (right secret) but its role is not an admin role.
                Some(ANON) => error(403, "not_admin", "User not allowed"),
                Some(_) => error(403, "bad_jwt", "invalid JWT: unable to parse or verify signature"),
            },
            _ => ResponseTemplate::new(404).set_body_json(json!({ "code": 404, "error_code": "not_found", "msg": "no such path in the fake" })),
        }
    }
}
