//! What the services must refuse past the gateway: bad JWTs reach PostgREST with a valid apikey
//! and are refused there; and where the deployment listens on the host. Gateway routes and what
//! Kong refuses are in [`super::gateway`].

use std::str::FromStr;

use aiwah_harness::secrets::{Role, keys};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cucumber::{given, then, when};
use serde_json::json;

use crate::clients::http::ApiError;
use crate::clients::rest::Rest;
use crate::steps::AiwahWorld;

#[derive(Debug, Default)]
pub struct State {
    bad_jwt: Option<(BadJwt, String)>,
    refused: Option<ApiError>,
}

/// A JWT PostgREST must refuse, for the authenticated role of a user that need not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadJwt {
    /// HS256, signed with another secret.
    Forged,
    /// The deployment's secret, `exp` an hour ago (past PostgREST's 30 s clock skew).
    Expired,
    /// `alg: none`, empty signature.
    Unsigned,
}

impl BadJwt {
    pub const ALL: [BadJwt; 3] = [BadJwt::Forged, BadJwt::Expired, BadJwt::Unsigned];

    pub fn name(self) -> &'static str {
        match self {
            BadJwt::Forged => "forged",
            BadJwt::Expired => "expired",
            BadJwt::Unsigned => "unsigned",
        }
    }

    pub fn token(self, jwt_secret: &str, now: u64) -> String {
        let claims = |exp: u64| json!({ "sub": "00000000-0000-0000-0000-000000000001", "role": Role::Authenticated, "aud": "authenticated", "iat": now.saturating_sub(7200), "exp": exp });
        match self {
            BadJwt::Forged => keys::sign(&claims(now + 3600), &aiwah_harness::secrets::random::from_alphabet(b"abcdefghijklmnopqrstuvwxyz0123456789", 40)),
            BadJwt::Expired => keys::sign(&claims(now.saturating_sub(3600)), jwt_secret),
            BadJwt::Unsigned => {
                format!("{}.{}.", URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#), URL_SAFE_NO_PAD.encode(claims(now + 3600).to_string()))
            }
        }
    }

    /// PostgREST v14.17's message (`src/PostgREST/Error.hs`): a signature no key verifies is jose's
    /// `KeyError`; `alg: none` is jose's `BadAlgorithm` ("JWT is unsecured but expected 'alg' was
    /// not 'none'" in `details`), both PGRST301; a past `exp` is PGRST303 (`test/io/test_auth.py`).
    pub fn postgrest_message(self) -> &'static str {
        match self {
            BadJwt::Forged => "No suitable key or wrong key type",
            BadJwt::Expired => "JWT expired",
            BadJwt::Unsigned => "Wrong or unsupported encoding algorithm",
        }
    }
}

impl FromStr for BadJwt {
    type Err = String;
    fn from_str(s: &str) -> Result<BadJwt, String> {
        super::by_name(BadJwt::ALL, BadJwt::name, "kind of JWT", s)
    }
}

/// Sends `token` as the bearer to the todos through `rest`, which adds its apikey (the anon key):
/// Kong's key-auth lets the request through and keeps the client's `Authorization`, so the refusal
/// is PostgREST's own. Without the apikey Kong would answer 401 before PostgREST saw the token.
pub async fn send_bad_jwt(rest: &Rest, token: &str) -> Result<ApiError, String> {
    match rest.select("todos", "select=id", Some(token)).await {
        Ok(rows) => Err(format!("PostgREST accepted the token and answered {} rows", rows.len())),
        Err(e) => Ok(e),
    }
}

/// `Ok` when `refused` is PostgREST refusing `kind` with `status` and `code` in its own words.
pub fn check_postgrest_refusal(kind: BadJwt, refused: &ApiError, status: u16, code: &str) -> Result<(), String> {
    if refused.status == status && refused.code.as_deref() == Some(code) && refused.message == kind.postgrest_message() {
        Ok(())
    } else {
        Err(format!("the {} JWT was refused with {refused}; expected HTTP {status} {code}: {}", kind.name(), kind.postgrest_message()))
    }
}

#[given(expr = "a {word} JWT for the authenticated role")]
async fn bad_jwt(w: &mut AiwahWorld, kind: String) -> Result<(), String> {
    let kind: BadJwt = kind.parse()?;
    let secret = w.suite.secret("JWT_SECRET").map_err(|p| p.to_string())?;
    w.security.bad_jwt = Some((kind, kind.token(&secret, keys::now())));
    Ok(())
}

#[when("it is sent as the bearer token, with the anon key, to the todos through REST")]
async fn send_bad(w: &mut AiwahWorld) -> Result<(), String> {
    let (_, token) = w.security.bad_jwt.clone().ok_or("no JWT was made")?;
    w.security.refused = Some(send_bad_jwt(&w.rest()?, &token).await?);
    Ok(())
}

#[then(expr = "PostgREST refuses it with HTTP {int} and code {word}")]
async fn postgrest_refuses(w: &mut AiwahWorld, status: u16, code: String) -> Result<(), String> {
    let (kind, _) = w.security.bad_jwt.as_ref().ok_or("no JWT was made")?;
    check_postgrest_refusal(*kind, w.security.refused.as_ref().ok_or("nothing was refused")?, status, &code)
}

#[then("every port the deployment publishes is bound to 127.0.0.1")]
async fn loopback_only(w: &mut AiwahWorld) -> Result<(), String> {
    let label = format!("{}={}", aiwah_harness::engine::overrides::labels::DEPLOYMENT, w.suite.deployment()?.id());
    let containers = aiwah_harness::engine::docker::list(aiwah_harness::engine::docker::Kind::Container, &label).map_err(|p| p.to_string())?;
    let mut published = 0;
    let mut open = Vec::new();
    for container in &containers {
        let ports = aiwah_harness::engine::docker::docker(&["port", container]).map_err(|p| p.to_string())?;
        for line in ports.lines().filter(|l| !l.trim().is_empty()) {
            published += 1;
            let bound = line.rsplit(" -> ").next().unwrap_or_default();
            if !bound.starts_with("127.0.0.1:") {
                open.push(format!("{container}: {line}"));
            }
        }
    }
    if published == 0 {
        return Err(format!("no published port found among {} containers: the check saw nothing", containers.len()));
    }
    println!("{published} published ports, all on 127.0.0.1");
    if open.is_empty() { Ok(()) } else { Err(format!("bound beyond loopback:\n{}", open.join("\n"))) }
}
