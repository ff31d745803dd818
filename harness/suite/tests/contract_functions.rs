//! Contract tests for the Edge Functions client against a fake of Kong's `/functions/v1/` route
//! (no key-auth, `strip_path`) in front of the edge runtime's main service
//! (stacks/supabase/volumes/functions/main/index.ts) and the `hello` function: with `VERIFY_JWT`
//! a missing bearer is 401 `{"code","message","msg"}` plus `sb-error-code`; no function name is
//! 400 `{"msg"}`; a worker that cannot start is 500 `{"msg"}`; `hello` answers the JSON string
//! `"Hello from Edge Functions!"` (upstream's smoke test compares that body byte for byte).

use aiwah_suite::clients::functions::Functions;
use serde_json::json;
use wiremock::matchers::path_regex;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const ANON: &str = "anon-key-jwt";

fn json_answer(status: u16, body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.to_string(), "application/json")
}

/// The main service as upstream writes it, `verify_jwt` standing for `VERIFY_JWT=true`.
async fn runtime(verify_jwt: bool) -> MockServer {
    let server = MockServer::start().await;
    let respond = move |req: &Request| {
        let Some(path) = req.url.path().strip_prefix("/functions/v1") else {
            return json_answer(404, json!({ "message": "no Route matched with those values" }));
        };
        let bearer = req.headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        if verify_jwt && bearer.is_none() {
            let message = "Missing authorization header";
            return json_answer(401, json!({ "code": "UNAUTHORIZED_NO_AUTH_HEADER", "message": message, "msg": message }))
                .insert_header("sb-error-code", "UNAUTHORIZED_NO_AUTH_HEADER");
        }
        match path.split('/').nth(1).unwrap_or_default() {
            "" => json_answer(400, json!({ "msg": "missing function name in request" })),
            "hello" => ResponseTemplate::new(200).set_body_raw(r#""Hello from Edge Functions!""#, "application/json"),
            other => json_answer(500, json!({ "msg": format!("InvalidWorkerCreation: worker boot error: /home/deno/functions/{other} not found") })),
        }
    };
    Mock::given(path_regex(".*")).respond_with(respond).mount(&server).await;
    server
}

#[tokio::test]
async fn hello_answers_its_json_string_through_the_gateway() {
    let server = runtime(false).await;
    let answer = Functions::new(&server.uri()).invoke("hello", Some(ANON), &json!({})).await.unwrap();
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, r#""Hello from Edge Functions!""#);
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
    let seen = server.received_requests().await.unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!((seen[0].method.as_str(), seen[0].url.path()), ("POST", "/functions/v1/hello"));
    assert_eq!(seen[0].headers.get("authorization").unwrap(), &format!("Bearer {ANON}"));
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&seen[0].body).unwrap(), json!({}));
}

#[tokio::test]
async fn with_verify_jwt_a_call_without_a_bearer_is_refused_with_the_runtime_code() {
    let server = runtime(true).await;
    let err = Functions::new(&server.uri()).invoke("hello", None, &json!({})).await.unwrap_err();
    assert_eq!((err.status, err.code.as_deref(), err.message.as_str()), (401, Some("UNAUTHORIZED_NO_AUTH_HEADER"), "Missing authorization header"));
    // Positive control: the bearer passes the same runtime.
    assert_eq!(Functions::new(&server.uri()).invoke("hello", Some(ANON), &json!({})).await.unwrap().status, 200);
}

#[tokio::test]
async fn a_function_that_does_not_exist_is_the_runtime_refusal() {
    let server = runtime(false).await;
    let err = Functions::new(&server.uri()).invoke("nope", Some(ANON), &json!({})).await.unwrap_err();
    assert_eq!((err.status, err.code.as_deref()), (500, None));
    assert!(err.message.contains("/home/deno/functions/nope"), "{err}");
    assert_eq!(err.request, "POST /functions/v1/nope");
}
