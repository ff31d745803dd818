//! Typed async client for GoTrue (supabase/auth) behind the gateway at `/auth/v1`: sign-up, the
//! password and refresh-token grants, the current user, logout, and the admin user endpoints.
//!
//! Every call carries `apikey` (Kong's key-auth). User calls add `Authorization: Bearer <access
//! token>`; admin calls add `Authorization: Bearer <service_role JWT>`, because GoTrue checks the
//! bearer's role against `GOTRUE_JWT_ADMIN_ROLES`, not the apikey. Errors come back as
//! [`ApiError`] with GoTrue's `error_code` (or the OAuth `error`) as `code`; secrets never appear
//! in `request` or `message`.

use std::fmt;

use reqwest::{Client, Method, RequestBuilder};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::http::{ApiError, ApiResult, client};
use super::rest::encode;

/// A GoTrue user object; fields GoTrue adds later are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub aud: Option<String>,
    pub role: Option<String>,
    pub email: Option<String>,
    pub email_confirmed_at: Option<String>,
    pub phone: Option<String>,
    pub confirmed_at: Option<String>,
    pub last_sign_in_at: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    #[serde(default)]
    pub app_metadata: Value,
    #[serde(default)]
    pub user_metadata: Value,
    pub is_anonymous: Option<bool>,
}

/// GoTrue's AccessTokenResponse.
#[derive(Clone, PartialEq, Deserialize)]
pub struct Session {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: u64,
    pub expires_at: Option<u64>,
    pub refresh_token: String,
    pub user: User,
}

// Hand-written so a failed assertion on a session never prints its tokens.
impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("access_token", &"<redacted>")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("expires_at", &self.expires_at)
            .field("refresh_token", &"<redacted>")
            .field("user", &self.user)
            .finish()
    }
}

/// What `POST /signup` returns: a session when email autoconfirm is on, otherwise the
/// unconfirmed user (a confirmation mail is sent).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum SignUp {
    Session(Session),
    User(User),
}

#[derive(Deserialize)]
struct UserPage {
    users: Vec<User>,
}

/// GoTrue through the gateway.
#[derive(Clone)]
pub struct Auth {
    client: Client,
    base: String,
    apikey: String,
}

impl Auth {
    /// `gateway` is the gateway base URL (`http://127.0.0.1:8000`); `apikey` goes on every call.
    pub fn new(gateway: &str, apikey: &str) -> Auth {
        Auth { client: client(), base: gateway.trim_end_matches('/').to_owned(), apikey: apikey.to_owned() }
    }

    pub async fn sign_up(&self, email: &str, password: &str) -> ApiResult<SignUp> {
        let body = json!({ "email": email, "password": password });
        self.json(Method::POST, "/signup", None, Some(&body)).await
    }

    pub async fn sign_in_with_password(&self, email: &str, password: &str) -> ApiResult<Session> {
        let body = json!({ "email": email, "password": password });
        self.json(Method::POST, "/token?grant_type=password", None, Some(&body)).await
    }

    pub async fn refresh(&self, refresh_token: &str) -> ApiResult<Session> {
        let body = json!({ "refresh_token": refresh_token });
        self.json(Method::POST, "/token?grant_type=refresh_token", None, Some(&body)).await
    }

    pub async fn user(&self, access_token: &str) -> ApiResult<User> {
        self.json(Method::GET, "/user", Some(access_token), None).await
    }

    /// Ends the session of `access_token` (GoTrue answers 204).
    pub async fn logout(&self, access_token: &str) -> ApiResult<()> {
        self.send(Method::POST, "/logout", Some(access_token), None).await.map(drop)
    }

    /// Creates a user as admin; `email_confirm` marks the address confirmed without a mail.
    pub async fn admin_create_user(&self, bearer: &str, email: &str, password: &str, email_confirm: bool) -> ApiResult<User> {
        let body = json!({ "email": email, "password": password, "email_confirm": email_confirm });
        self.json(Method::POST, "/admin/users", Some(bearer), Some(&body)).await
    }

    pub async fn admin_delete_user(&self, bearer: &str, id: &str) -> ApiResult<()> {
        let path = format!("/admin/users/{}", encode(id));
        self.send(Method::DELETE, &path, Some(bearer), None).await.map(drop)
    }

    /// All users, page by page (GoTrue pages `/admin/users`, 50 per page by default).
    pub async fn admin_list_users(&self, bearer: &str) -> ApiResult<Vec<User>> {
        const PER_PAGE: usize = 100;
        const MAX_PAGES: usize = 1000;
        let mut all = Vec::new();
        for page in 1..=MAX_PAGES {
            let path = format!("/admin/users?page={page}&per_page={PER_PAGE}");
            let batch: UserPage = self.json(Method::GET, &path, Some(bearer), None).await?;
            let last = batch.users.len() < PER_PAGE;
            all.extend(batch.users);
            if last {
                return Ok(all);
            }
        }
        // A server that ignores `page` would otherwise keep this loop going forever.
        Err(ApiError::transport("GET /auth/v1/admin/users", format!("still full after {MAX_PAGES} pages")))
    }

    async fn json<T: DeserializeOwned>(&self, method: Method, path: &str, bearer: Option<&str>, body: Option<&Value>) -> ApiResult<T> {
        let label = format!("{method} /auth/v1{path}");
        let text = self.send(method, path, bearer, body).await?;
        serde_json::from_str(&text).map_err(|e| ApiError::transport(label, format!("unexpected response body: {e}")))
    }

    /// Sends one request; any non-2xx status becomes an [`ApiError`] carrying GoTrue's code.
    async fn send(&self, method: Method, path: &str, bearer: Option<&str>, body: Option<&Value>) -> ApiResult<String> {
        let label = format!("{method} /auth/v1{path}");
        let mut req: RequestBuilder = self.client.request(method, format!("{}/auth/v1{path}", self.base)).header("apikey", &self.apikey);
        if let Some(token) = bearer {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = super::http::answered(&label, req.send().await)?;
        let status = resp.status().as_u16();
        let text = resp.text().await.map_err(|e| ApiError::transport(&label, e.without_url()))?;
        if (200..300).contains(&status) { Ok(text) } else { Err(refusal(&label, status, &text)) }
    }
}

/// Maps GoTrue's bodies: `{"code":400,"error_code":"…","msg":"…"}` (default API version),
/// `{"code":"…","message":"…"}` (API version 2024-01-01), OAuth `{"error","error_description"}`,
/// and Kong's own `{"message":"…"}`.
fn refusal(request: &str, status: u16, body: &str) -> ApiError {
    ApiError::from_body(request, status, body, &["error_code", "code", "error"], &["msg", "message", "error_description", "error"])
}
