//! Clients refuse a placeholder's answers. The offline placeholder (`stacks/offline/placeholder`)
//! marks every answer with `X-Aiwah-Placeholder: <stack>/<service> (<official image>)`; each client
//! (auth, rest, gateway, storage, functions, n8n, realtime) turns a marked answer — even a 2xx one, even on calls that take any
//! status — into an error naming the placeholder, and records it so the runner fails the scenario.
//! The same answers unmarked are controls: the clients read them as before.

use std::time::Duration;

use aiwah_suite::clients::auth::Auth;
use aiwah_suite::clients::functions::Functions;
use aiwah_suite::clients::gateway::{Gateway, Request};
use aiwah_suite::clients::http::{PLACEHOLDER_CODE, PLACEHOLDER_HEADER, take_placeholder_answers};
use aiwah_suite::clients::n8n::N8n;
use aiwah_suite::clients::realtime::{Realtime, RealtimeError};
use aiwah_suite::clients::rest::Rest;
use aiwah_suite::clients::storage::Storage;
use reqwest::Method;
use serde_json::json;
use wiremock::{Mock, MockServer, ResponseTemplate, matchers::any};

const HOLDER: &str = "supabase/kong (kong/kong:3.9.3)";

/// A server answering everything like the placeholder does (503 + marker), or with `status` and
/// a JSON body when `marked` is false or the status is a success.
async fn server(status: u16, marked: bool) -> MockServer {
    let server = MockServer::start().await;
    let mut reply = ResponseTemplate::new(status).set_body_json(json!([{"id": 1}]));
    if marked {
        reply = reply.insert_header(PLACEHOLDER_HEADER, HOLDER);
    }
    Mock::given(any()).respond_with(reply).mount(&server).await;
    server
}

fn names_the_placeholder(err: &impl std::fmt::Display) {
    let text = err.to_string();
    assert!(text.contains(HOLDER) && text.contains("placeholder"), "the error names the placeholder: {text}");
}

#[tokio::test]
async fn auth_refuses_a_marked_answer() {
    take_placeholder_answers();
    let marked = server(503, true).await;
    let err = Auth::new(&marked.uri(), "anon").sign_in_with_password("a@b.c", "pw").await.unwrap_err();
    assert_eq!(err.code.as_deref(), Some(PLACEHOLDER_CODE));
    names_the_placeholder(&err);
    assert_eq!(take_placeholder_answers(), vec![HOLDER.to_string()], "recorded for the runner");
    // Control: the same 503 unmarked is GoTrue's refusal, not a placeholder's.
    let plain = server(503, false).await;
    let err = Auth::new(&plain.uri(), "anon").sign_in_with_password("a@b.c", "pw").await.unwrap_err();
    assert_eq!(err.status, 503);
    assert_ne!(err.code.as_deref(), Some(PLACEHOLDER_CODE));
    assert!(take_placeholder_answers().is_empty());
}

#[tokio::test]
async fn rest_refuses_a_marked_answer_even_a_success_and_on_raw_requests() {
    take_placeholder_answers();
    let marked = server(200, true).await;
    let rest = Rest::new(&marked.uri(), "anon");
    names_the_placeholder(&rest.select("todos", "select=*", None).await.unwrap_err());
    assert_eq!(take_placeholder_answers().len(), 1);
    // Control: unmarked, the same answers are rows and a status.
    let plain = server(200, false).await;
    let rest = Rest::new(&plain.uri(), "anon");
    assert_eq!(rest.select("todos", "select=*", None).await.unwrap(), vec![json!({"id": 1})]);
}

#[tokio::test]
async fn the_gateway_client_takes_any_status_as_an_answer_but_not_a_placeholders() {
    take_placeholder_answers();
    let marked = server(401, true).await;
    let gateway = Gateway::new(&marked.uri());
    names_the_placeholder(&gateway.send(&Request::new(Method::GET, "/pg/tables")).await.unwrap_err());
    assert_eq!(take_placeholder_answers().len(), 1);
    // Control: unmarked, the same 401 is Kong's answer.
    let plain = server(401, false).await;
    assert_eq!(Gateway::new(&plain.uri()).send(&Request::new(Method::GET, "/pg/tables")).await.unwrap().status, 401);
}

#[tokio::test]
async fn storage_and_functions_refuse_a_marked_answer() {
    take_placeholder_answers();
    let marked = server(200, true).await;
    names_the_placeholder(&Storage::new(&marked.uri(), Some("service")).bucket("b").await.unwrap_err());
    names_the_placeholder(&Storage::new(&marked.uri(), None).download_public("b", "f.txt").await.unwrap_err());
    names_the_placeholder(&Functions::new(&marked.uri()).invoke("hello", Some("anon"), &json!({})).await.unwrap_err());
    assert_eq!(take_placeholder_answers().len(), 3);
    // Control: unmarked, a public download is the body's bytes.
    let plain = server(200, false).await;
    assert_eq!(Storage::new(&plain.uri(), None).download_public("b", "f.txt").await.unwrap(), br#"[{"id":1}]"#.to_vec());
}

#[tokio::test]
async fn n8n_refuses_a_marked_answer_on_every_path() {
    take_placeholder_answers();
    let marked = server(503, true).await;
    let n8n = N8n::new(&marked.uri());
    names_the_placeholder(&n8n.health().await.unwrap_err());
    names_the_placeholder(&n8n.login("o@a.l", "pw").await.unwrap_err());
    // A webhook call returns any status as its answer — but not a placeholder's.
    names_the_placeholder(&n8n.call_webhook("hook", &json!({})).await.unwrap_err());
    assert_eq!(take_placeholder_answers().len(), 3);
    // Control: unmarked, the webhook's 503 is an answer.
    let plain = server(503, false).await;
    assert_eq!(N8n::new(&plain.uri()).call_webhook("hook", &json!({})).await.unwrap().0, 503);
}

#[tokio::test]
async fn realtime_refuses_a_marked_handshake_answer() {
    take_placeholder_answers();
    let marked = server(503, true).await;
    let err = Realtime::connect(&marked.uri(), "anon", Duration::from_secs(5)).await.err().expect("no socket from a placeholder");
    assert!(matches!(err, RealtimeError::Connect { .. }), "{err}");
    names_the_placeholder(&err);
    assert_eq!(take_placeholder_answers(), vec![HOLDER.to_string()]);
    // Control: an unmarked refusal is a plain upgrade refusal.
    let plain = server(503, false).await;
    let err = Realtime::connect(&plain.uri(), "anon", Duration::from_secs(5)).await.err().expect("no socket from a 503");
    assert!(err.to_string().contains("upgrade refused: HTTP 503") && !err.to_string().contains("placeholder"), "{err}");
}
