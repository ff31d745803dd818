//! Edge Functions through Kong: the bundled `hello` function answers, as upstream's smoke test
//! calls it (POST, `{}`, the anon key as bearer).

use cucumber::{then, when};
use serde_json::json;

use crate::clients::functions::{Answer, Functions};
use crate::clients::http::ApiError;
use crate::steps::AiwahWorld;

#[derive(Debug, Default)]
pub struct State {
    answer: Option<Result<Answer, ApiError>>,
}

#[when(expr = "the function {string} is called through the gateway with the anon key")]
async fn call(w: &mut AiwahWorld, name: String) -> Result<(), String> {
    let anon = w.suite.secret("ANON_KEY").map_err(|p| p.to_string())?;
    w.functions.answer = Some(Functions::new(&w.suite.gateway).invoke(&name, Some(&anon), &json!({})).await);
    Ok(())
}

/// The body must be exactly `text` as a JSON string (`"Hello from Edge Functions!"`, quotes
/// included): upstream's test compares the raw body, so a wrapper or a second line fails too.
#[then(expr = "the function answers HTTP {int} with the JSON string {string}")]
async fn answers(w: &mut AiwahWorld, status: u16, text: String) -> Result<(), String> {
    let expected = serde_json::to_string(&text).map_err(|e| e.to_string())?;
    match w.functions.answer.take() {
        Some(Ok(a)) if a.status == status && a.body == expected => Ok(()),
        Some(Ok(a)) => Err(format!("answered HTTP {} with {:?}, expected HTTP {status} with {expected:?}", a.status, a.body)),
        Some(Err(e)) => Err(e.to_string()),
        None => Err("no function was called in this scenario".to_owned()),
    }
}
