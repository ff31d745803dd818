//! A small client of the OCI Distribution API over blocking reqwest: list a repository's tags (paging
//! with `n`/`last` and the `Link` header) and resolve a tag's digest with `HEAD` on its manifest (the
//! digest of a multi-platform index when there is one, never one platform's). Anonymous bearer tokens
//! come from the registry's own challenge ([`super::token`]). Every failure is one line naming the
//! registry, with the registry's own words, and a [`Failure`] kind the caller can act on.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, LINK, RETRY_AFTER, WWW_AUTHENTICATE};

use super::reference::{Endpoint, ImageRef};
use super::token::{Challenge, TokenAnswer};
use crate::problem::Problem;

/// Manifest types a `HEAD` accepts: indexes first, so a multi-platform tag answers with its index digest.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, \
     application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";
/// Tags per page asked for; a registry may answer fewer and page with `Link`.
pub const DEFAULT_PAGE_SIZE: usize = 100;
/// A registry that keeps sending `Link`s past this is looping.
const MAX_PAGES: usize = 500;

/// Why a registry could not be asked: each is "could not check" for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Failure {
    /// No connection (refused, DNS, timeout, TLS).
    Unreachable,
    /// 401/403 even after the anonymous token flow (or a challenge we cannot answer).
    Unauthorized,
    /// 429: rate-limited.
    RateLimited,
    /// 404: no such repository or tag there.
    NotFound,
    /// Any other answer we cannot use.
    Unexpected,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryError {
    pub failure: Failure,
    pub problem: Problem,
}

impl std::fmt::Display for RegistryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.problem.fmt(f)
    }
}

impl std::error::Error for RegistryError {}

/// What `HEAD` on a manifest told.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ManifestHead {
    /// `Docker-Content-Digest`: what a deployment pins.
    pub digest: String,
    pub media_type: String,
}

pub struct RegistryClient {
    http: Client,
    endpoint: Endpoint,
    page_size: usize,
    /// Bearer tokens by scope, reused for every request in that scope.
    tokens: RefCell<BTreeMap<String, String>>,
}

impl RegistryClient {
    pub fn new(endpoint: Endpoint) -> RegistryClient {
        let http = Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("aiwah-upgrade-check/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a reqwest client with timeouts builds");
        RegistryClient { http, endpoint, page_size: DEFAULT_PAGE_SIZE, tokens: RefCell::default() }
    }

    pub fn with_page_size(mut self, n: usize) -> RegistryClient {
        self.page_size = n.max(1);
        self
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Every tag of `image`'s repository, in the order the registry lists them.
    pub fn tags(&self, image: &ImageRef) -> Result<Vec<String>, RegistryError> {
        #[derive(serde::Deserialize)]
        struct Page {
            tags: Option<Vec<String>>,
        }
        let repository = self.endpoint.repository(image);
        let mut url = format!("{}/v2/{repository}/tags/list?n={}", self.endpoint.base(), self.page_size);
        let mut tags = Vec::new();
        for _ in 0..MAX_PAGES {
            let response = self.send(reqwest::Method::GET, &url, None, &repository)?;
            let next = next_link(response.headers());
            let page: Page = response.json().map_err(|e| self.error(Failure::Unexpected, &url, format!("tags/list is not the expected JSON: {e}")))?;
            tags.extend(page.tags.unwrap_or_default());
            match next {
                Some(link) => {
                    let resolved = if link.starts_with('/') { format!("{}{link}", self.endpoint.base()) } else { link };
                    if resolved == url {
                        return Err(self.error(Failure::Unexpected, &url, "its Link header points at the same page again".into()));
                    }
                    url = resolved;
                }
                None => return Ok(tags),
            }
        }
        Err(self.error(Failure::Unexpected, &url, format!("more than {MAX_PAGES} pages of tags")))
    }

    /// `HEAD /v2/<name>/manifests/<tag>`: the digest a tag points at (an index's, for multi-platform tags).
    pub fn manifest_head(&self, image: &ImageRef) -> Result<ManifestHead, RegistryError> {
        let repository = self.endpoint.repository(image);
        let url = format!("{}/v2/{repository}/manifests/{}", self.endpoint.base(), image.tag);
        let response = self.send(reqwest::Method::HEAD, &url, Some(MANIFEST_ACCEPT), &repository)?;
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(String::from);
        let digest = header("docker-content-digest")
            .filter(|d| d.contains(':'))
            .ok_or_else(|| self.error(Failure::Unexpected, &url, "the answer carries no Docker-Content-Digest".into()))?;
        Ok(ManifestHead { digest, media_type: header("content-type").unwrap_or_default() })
    }

    /// `GET` a JSON document (a manifest, a config blob) in `repository`; `None` when the registry has no such thing.
    pub(super) fn get_json(&self, url: &str, accept: &str, repository: &str) -> Result<Option<serde_json::Value>, RegistryError> {
        let response = match self.send(reqwest::Method::GET, url, Some(accept), repository) {
            Err(e) if e.failure == Failure::NotFound => return Ok(None),
            other => other?,
        };
        let value = response.json().map_err(|e| self.error(Failure::Unexpected, url, format!("not the expected JSON: {e}")))?;
        Ok(Some(value))
    }

    /// Send once; on a Bearer challenge fetch an anonymous token for the scope and send again.
    fn send(&self, method: reqwest::Method, url: &str, accept: Option<&str>, repository: &str) -> Result<Response, RegistryError> {
        let scope = format!("repository:{repository}:pull");
        let mut challenged = false;
        loop {
            let mut request = self.http.request(method.clone(), url);
            if let Some(accept) = accept {
                request = request.header(ACCEPT, accept);
            }
            if let Some(token) = self.tokens.borrow().get(&scope) {
                request = request.header(AUTHORIZATION, format!("Bearer {token}"));
            }
            let response = request.send().map_err(|e| self.unreachable(url, &e))?;
            let status = response.status();
            if status.is_success() {
                return Ok(response);
            }
            if status == StatusCode::UNAUTHORIZED && !challenged {
                challenged = true;
                let challenge = response.headers().get(WWW_AUTHENTICATE).and_then(|v| v.to_str().ok()).and_then(Challenge::parse);
                match challenge {
                    Some(Challenge::Bearer { realm, service, scope: asked }) => {
                        let token = self.fetch_token(&realm, service.as_deref(), asked.as_deref().unwrap_or(&scope))?;
                        self.tokens.borrow_mut().insert(scope.clone(), token);
                        continue;
                    }
                    _ => return Err(self.refusal(url, response)),
                }
            }
            return Err(self.refusal(url, response));
        }
    }

    fn fetch_token(&self, realm: &str, service: Option<&str>, scope: &str) -> Result<String, RegistryError> {
        let mut query = vec![("scope", scope)];
        if let Some(service) = service {
            query.push(("service", service));
        }
        let url =
            reqwest::Url::parse_with_params(realm, &query).map_err(|e| self.error(Failure::Unexpected, realm, format!("its token realm is not a URL: {e}")))?;
        let response = self.http.get(url).send().map_err(|e| self.unreachable(realm, &e))?;
        if !response.status().is_success() {
            return Err(self.refusal(realm, response));
        }
        let answer: TokenAnswer = response.json().map_err(|e| self.error(Failure::Unexpected, realm, format!("token answer is not JSON: {e}")))?;
        answer.into_token().ok_or_else(|| self.error(Failure::Unauthorized, realm, "the token answer holds no token".into()))
    }

    /// A non-success answer as one line: what it means, then the registry's own words.
    fn refusal(&self, url: &str, response: Response) -> RegistryError {
        let status = response.status();
        let retry = response.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok()).map(|s| format!(" (Retry-After: {s})")).unwrap_or_default();
        let words = registry_words(&response.text().unwrap_or_default()).unwrap_or_else(|| status.canonical_reason().unwrap_or("no reason given").to_string());
        let (failure, meaning) = match status {
            StatusCode::TOO_MANY_REQUESTS => (Failure::RateLimited, "rate-limited"),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => (Failure::Unauthorized, "refused anonymous access"),
            StatusCode::NOT_FOUND => (Failure::NotFound, "has no such repository or tag"),
            _ => (Failure::Unexpected, "answered with an error"),
        };
        self.error(failure, url, format!("{meaning} (HTTP {}): {words}{retry}", status.as_u16()))
    }

    fn unreachable(&self, url: &str, e: &reqwest::Error) -> RegistryError {
        let mut cause: &dyn std::error::Error = e;
        while let Some(inner) = cause.source() {
            cause = inner;
        }
        self.error(Failure::Unreachable, url, format!("unreachable: {cause}"))
    }

    fn error(&self, failure: Failure, url: &str, message: String) -> RegistryError {
        RegistryError { failure, problem: Problem::new(format!("registry {}", self.endpoint.base()), format!("{message} [{}]", strip_query(url))) }
    }
}

/// The `rel="next"` target of a `Link` header (`</v2/x/tags/list?last=b&n=2>; rel="next"`).
pub fn next_link(headers: &HeaderMap) -> Option<String> {
    headers.get_all(LINK).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).find_map(|part| {
        let (target, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| p.trim().replace(' ', "") == "rel=\"next\"" || p.trim() == "rel=next")
            .then(|| target.trim().trim_matches(['<', '>']).to_string())
    })
}

/// A Distribution error body's messages (`{"errors":[{"code":"TOOMANYREQUESTS","message":"..."}]}`),
/// else the body's first line, shortened.
fn registry_words(body: &str) -> Option<String> {
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(body) {
        let words: Vec<String> = value["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| format!("{} {}", e["code"].as_str().unwrap_or(""), e["message"].as_str().unwrap_or("")).trim().to_string())
            .filter(|w| !w.is_empty())
            .collect();
        if !words.is_empty() {
            return Some(words.join("; "));
        }
    }
    let line = body.lines().map(str::trim).find(|l| !l.is_empty())?;
    Some(line.chars().take(200).collect())
}

fn strip_query(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}
