//! Typed async client for Supabase Storage (supabase/storage) behind the gateway at `/storage/v1`:
//! buckets, object upload and download, signed URLs and deletes — the calls upstream's self-hosted
//! smoke test (supabase/supabase `docker/tests/test-self-hosted.sh`) makes.
//!
//! Kong puts no key-auth on `/storage/v1/`; Storage checks the JWT itself. A client bound to a key
//! sends it as `apikey` and as `Authorization: Bearer <key>` (what supabase-js and upstream's test
//! send); a client without a key sends neither. Public and signed-URL downloads never send a key,
//! whatever the client holds: they must work without one.
//!
//! Storage refuses with HTTP 400 for every client error (its `userStatusCode`) and puts the real
//! status in the body: `{"statusCode":"404","code":"NoSuchKey","error":"not_found","message":"Object
//! not found"}`. [`ApiError::code`] is that `code` (`error` for bodies without one); the body's
//! `statusCode` is kept in front of the message (`404: Object not found`).

use reqwest::{Client, Method, RequestBuilder};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::http::{ApiError, ApiResult};
use super::http::{client, snippet};
use super::rest::encode;

/// Where Kong routes Storage (`strip_path`: Storage sees the rest).
pub const PREFIX: &str = "/storage/v1";

/// What `POST /object/{bucket}/{name}` answers: the object's id and `bucket/name`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Uploaded {
    #[serde(rename = "Id")]
    pub id: Option<String>,
    #[serde(rename = "Key")]
    pub key: String,
}

/// A bucket as `GET /bucket/{id}` describes it; fields Storage adds later are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Bucket {
    pub id: String,
    pub name: String,
    pub public: bool,
}

/// Storage through the gateway, as one identity.
#[derive(Clone)]
pub struct Storage {
    client: Client,
    base: String,
    key: Option<String>,
}

impl Storage {
    /// `gateway` is the gateway base URL (`http://127.0.0.1:8000`); `key` (a JWT: the service role
    /// key, a user's access token) goes on every authenticated call; `None` sends no credentials.
    pub fn new(gateway: &str, key: Option<&str>) -> Storage {
        Storage { client: client(), base: gateway.trim_end_matches('/').to_owned(), key: key.map(str::to_owned) }
    }

    /// Creates bucket `id` (also its name); answers the name.
    pub async fn create_bucket(&self, id: &str, public: bool) -> ApiResult<String> {
        #[derive(Deserialize)]
        struct Created {
            name: String,
        }
        let body = json!({ "id": id, "name": id, "public": public });
        let created: Created = self.json(Method::POST, "/bucket", Some(&body)).await?;
        Ok(created.name)
    }

    pub async fn bucket(&self, id: &str) -> ApiResult<Bucket> {
        self.json(Method::GET, &format!("/bucket/{}", encode(id)), None).await
    }

    /// Deletes an empty bucket; answers Storage's message (`Successfully deleted`).
    pub async fn delete_bucket(&self, id: &str) -> ApiResult<String> {
        self.message(Method::DELETE, &format!("/bucket/{}", encode(id))).await
    }

    /// Uploads `bytes` as the object `name` (no upsert: an existing object is refused).
    pub async fn upload(&self, bucket: &str, name: &str, bytes: Vec<u8>, content_type: &str) -> ApiResult<Uploaded> {
        let path = format!("/object/{}", object_path(bucket, name));
        let req = self.authenticated(Method::POST, &path).header("Content-Type", content_type).body(bytes);
        let text = exchange(&label(Method::POST, &path), req).await?;
        parse(&label(Method::POST, &path), &String::from_utf8_lossy(&text))
    }

    /// Downloads an object with this client's key (`/object/authenticated/…`, RLS applies).
    pub async fn download(&self, bucket: &str, name: &str) -> ApiResult<Vec<u8>> {
        let path = format!("/object/authenticated/{}", object_path(bucket, name));
        exchange(&label(Method::GET, &path), self.authenticated(Method::GET, &path)).await
    }

    /// Downloads an object of a public bucket with no credentials at all.
    pub async fn download_public(&self, bucket: &str, name: &str) -> ApiResult<Vec<u8>> {
        let path = format!("/object/public/{}", object_path(bucket, name));
        exchange(&label(Method::GET, &path), self.anonymous(Method::GET, &path)).await
    }

    /// Signs a download URL valid for `expires_in` seconds. Answers Storage's `signedURL`, a path
    /// under the Storage root (`/object/sign/{bucket}/{name}?token=…`), for [`Storage::download_signed`].
    pub async fn sign(&self, bucket: &str, name: &str, expires_in: u64) -> ApiResult<String> {
        #[derive(Deserialize)]
        struct Signed {
            #[serde(rename = "signedURL")]
            signed_url: String,
        }
        let body = json!({ "expiresIn": expires_in });
        let signed: Signed = self.json(Method::POST, &format!("/object/sign/{}", object_path(bucket, name)), Some(&body)).await?;
        Ok(signed.signed_url)
    }

    /// Follows a `signedURL` from [`Storage::sign`] through the gateway, with no credentials.
    pub async fn download_signed(&self, signed_url: &str) -> ApiResult<Vec<u8>> {
        if !signed_url.starts_with('/') {
            return Err(ApiError::transport("GET signed URL", format!("not a path under the Storage root: {}", snippet(signed_url))));
        }
        // The token stays out of the label: it opens the object to anyone holding it.
        let shown = signed_url.split('?').next().unwrap_or_default();
        exchange(&label(Method::GET, shown), self.anonymous(Method::GET, signed_url)).await
    }

    /// Deletes one object; answers Storage's message (`Successfully deleted`).
    pub async fn delete_object(&self, bucket: &str, name: &str) -> ApiResult<String> {
        self.message(Method::DELETE, &format!("/object/{}", object_path(bucket, name))).await
    }

    async fn message(&self, method: Method, path: &str) -> ApiResult<String> {
        #[derive(Deserialize)]
        struct Message {
            message: String,
        }
        let answer: Message = self.json(method, path, None).await?;
        Ok(answer.message)
    }

    async fn json<T: serde::de::DeserializeOwned>(&self, method: Method, path: &str, body: Option<&Value>) -> ApiResult<T> {
        let shown = label(method.clone(), path);
        let mut req = self.authenticated(method, path);
        if let Some(body) = body {
            req = req.json(body);
        }
        let bytes = exchange(&shown, req).await?;
        parse(&shown, &String::from_utf8_lossy(&bytes))
    }

    fn authenticated(&self, method: Method, path: &str) -> RequestBuilder {
        let req = self.anonymous(method, path);
        match &self.key {
            Some(key) => req.header("apikey", key).bearer_auth(key),
            None => req,
        }
    }

    fn anonymous(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, format!("{}{PREFIX}{path}", self.base))
    }
}

/// Lowercase hex SHA-256 of `bytes`, as `sha256sum` prints it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// `bucket/name` with every segment percent-encoded and the object's own `/`s kept.
fn object_path(bucket: &str, name: &str) -> String {
    let name: Vec<String> = name.split('/').map(encode).collect();
    format!("{}/{}", encode(bucket), name.join("/"))
}

fn label(method: Method, path: &str) -> String {
    format!("{method} {PREFIX}{path}")
}

fn parse<T: serde::de::DeserializeOwned>(label: &str, text: &str) -> ApiResult<T> {
    serde_json::from_str(text).map_err(|e| ApiError::transport(label, format!("unexpected response body: {e}: {}", snippet(text))))
}

/// Sends one request; the body of a 2xx answer, else the refusal as an [`ApiError`].
async fn exchange(label: &str, req: RequestBuilder) -> ApiResult<Vec<u8>> {
    let resp = super::http::answered(label, req.send().await)?;
    let status = resp.status().as_u16();
    let body = resp.bytes().await.map_err(|e| ApiError::transport(label, e.without_url()))?;
    if (200..300).contains(&status) { Ok(body.to_vec()) } else { Err(refusal(label, status, &String::from_utf8_lossy(&body))) }
}

/// Storage's `{"statusCode","code","error","message"}`; Kong's own `{"message"}` keeps `code` empty.
fn refusal(request: &str, status: u16, body: &str) -> ApiError {
    let err = ApiError::from_body(request, status, body, &["code", "error"], &["message"]);
    // Storage answers 400 and keeps the real status in the body: put it in front of the message.
    let inner = serde_json::from_str::<Value>(body).ok().and_then(|v| v.get("statusCode")?.as_str().map(str::to_owned));
    match inner {
        Some(inner) => ApiError { message: format!("{inner}: {}", err.message), ..err },
        None => err,
    }
}
