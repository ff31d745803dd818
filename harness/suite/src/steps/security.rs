//! What the gateway and the services must refuse: bad JWTs, admin routes without the service
//! role, Realtime's tenant API; and where the deployment listens on the host.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cucumber::{given, then, when};
use reqwest::Method;
use serde_json::json;

use crate::steps::AiwahWorld;

#[derive(Debug, Default)]
pub struct State {
    token: String,
    answered: Option<u16>,
}

#[given(expr = "a {word} JWT for the authenticated role")]
async fn bad_jwt(w: &mut AiwahWorld, kind: String) -> Result<(), String> {
    let now = aiwah_harness::secrets::keys::now();
    let claims = |exp: u64| json!({ "sub": "00000000-0000-0000-0000-000000000001", "role": "authenticated", "aud": "authenticated", "iat": now.saturating_sub(7200), "exp": exp });
    let sign = |secret: &str, exp: u64| aiwah_harness::secrets::keys::sign(&claims(exp), secret);
    w.security.token = match kind.as_str() {
        "forged" => sign(&aiwah_harness::secrets::random::from_alphabet(b"abcdefghijklmnopqrstuvwxyz0123456789", 40), now + 3600),
        "expired" => sign(&w.suite.secret("JWT_SECRET").map_err(|p| p.to_string())?, now - 3600),
        "unsigned" => format!("{}.{}.", URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#), URL_SAFE_NO_PAD.encode(claims(now + 3600).to_string())),
        other => return Err(format!("unknown kind of JWT {other:?}")),
    };
    Ok(())
}

#[when("it is sent as the bearer token to the todos through REST")]
async fn send_bad(w: &mut AiwahWorld) -> Result<(), String> {
    let token = w.security.token.clone();
    let (status, _) = w.rest()?.request(Method::GET, "/rest/v1/todos?select=id", Some(&token), None).await.map_err(|e| e.to_string())?;
    w.security.answered = Some(status);
    Ok(())
}

#[then(expr = "REST refuses it with HTTP {int}")]
async fn rest_refuses(w: &mut AiwahWorld, status: u16) -> Result<(), String> {
    match w.security.answered {
        Some(s) if s == status => Ok(()),
        other => Err(format!("answered {other:?}, expected HTTP {status}")),
    }
}

#[when(expr = "the anon key alone asks the gateway for {word}")]
async fn anon_asks(w: &mut AiwahWorld, path: String) -> Result<(), String> {
    let (status, _) = w.rest()?.request(Method::GET, &path, None, None).await.map_err(|e| e.to_string())?;
    w.security.answered = Some(status);
    Ok(())
}

#[when(expr = "the service role asks the gateway for {word}")]
async fn service_asks(w: &mut AiwahWorld, path: String) -> Result<(), String> {
    let key = w.service_key()?;
    let (status, _) = w.rest()?.request(Method::GET, &path, Some(&key), Some(&key)).await.map_err(|e| e.to_string())?;
    w.security.answered = Some(status);
    Ok(())
}

#[then(expr = "the gateway refuses it with HTTP {int} or {int}")]
async fn gateway_refuses(w: &mut AiwahWorld, a: u16, b: u16) -> Result<(), String> {
    match w.security.answered {
        Some(s) if s == a || s == b => Ok(()),
        other => Err(format!("answered {other:?}, expected HTTP {a} or {b}")),
    }
}

#[then(expr = "the gateway answers with HTTP {int}")]
async fn gateway_answers(w: &mut AiwahWorld, status: u16) -> Result<(), String> {
    match w.security.answered {
        Some(s) if s == status => Ok(()),
        other => Err(format!("answered {other:?}, expected HTTP {status}")),
    }
}

#[then("every port the deployment publishes is bound to 127.0.0.1")]
async fn loopback_only(w: &mut AiwahWorld) -> Result<(), String> {
    let label = format!("{}={}", aiwah_harness::engine::overrides::labels::DEPLOYMENT, w.suite.deployment.id());
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
