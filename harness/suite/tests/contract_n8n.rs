//! Contract of `clients::n8n` against wiremock, with the shapes recorded from a real n8n 2.41.1
//! (login → API key → create workflow → publish → webhook → executions), and the structure of the
//! workflow fixtures in `fixtures/n8n/`.

use std::path::PathBuf;
use std::time::Duration;

use aiwah_suite::clients::n8n::{API_KEY_SCOPES, Ensured, Execution, ExecutionMode, ExecutionStatus, N8n};
use aiwah_suite::steps::n8n::{SUPABASE_HOST, supabase_credential};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const COOKIE: &str = "n8n-auth=eyJhbGciOiJIUzI1NiJ9.session.sig";
const KEY: &str = "n8n_api_recordedkey";

fn reply(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

async fn mount(server: &MockServer, verb: &str, p: &str, template: ResponseTemplate) {
    Mock::given(method(verb)).and(path(p)).respond_with(template).mount(server).await;
}

#[tokio::test]
async fn login_api_key_workflow_publish_webhook_executions() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/login"))
        .and(body_json(json!({"emailOrLdapLoginId": "owner@aiwah.local", "password": "Secret-1"})))
        .respond_with(
            reply(200, json!({"data": {"id": "7f2b05c3-3097-47bf-b439-72ac88298f39", "role": "global:owner", "isOwner": true}}))
                .append_header("X-RateLimit-Limit", "5")
                .append_header("Set-Cookie", format!("{COOKIE}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/rest/api-keys"))
        .and(header("cookie", COOKIE))
        .and(body_json(json!({"label": "aiwah-harness", "scopes": API_KEY_SCOPES, "expiresAt": null})))
        .respond_with(reply(200, json!({"data": {"id": "aA8Yi4YYIMLkFwbc", "label": "aiwah-harness", "apiKey": "******", "audience": "public-api", "rawApiKey": KEY, "expiresAt": null}})))
        .expect(1)
        .mount(&server)
        .await;
    // `active`/`id`/`tags` are read-only on create (400 "request/body/active is read-only"): never sent.
    Mock::given(method("POST"))
        .and(path("/api/v1/workflows"))
        .and(header("x-n8n-api-key", KEY))
        .and(body_json(json!({"name": "wf", "nodes": [], "connections": {}, "settings": {"executionOrder": "v1"}})))
        .respond_with(reply(200, json!({"id": "dTChtSYxpAZeH1O4", "name": "wf", "active": false, "activeVersionId": null, "versionId": "5ff9a808"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/workflows/dTChtSYxpAZeH1O4/publish"))
        .and(header("x-n8n-api-key", KEY))
        .respond_with(reply(200, json!({"id": "dTChtSYxpAZeH1O4", "active": true, "activeVersionId": "5ff9a808"})))
        .expect(1)
        .mount(&server)
        .await;
    // Right after publishing, the trigger is not registered yet: one 404, then the workflow answers.
    let unregistered = json!({"code": 404, "message": "The requested webhook \"POST aiwah-echo\" is not registered.", "hint": "The workflow must be active for a production URL to run successfully."});
    Mock::given(method("POST")).and(path("/webhook/aiwah-echo")).respond_with(reply(404, unregistered)).up_to_n_times(1).mount(&server).await;
    Mock::given(method("POST"))
        .and(path("/webhook/aiwah-echo"))
        .and(body_json(json!({"hello": "world"})))
        .respond_with(reply(200, json!({"echo": {"hello": "world"}, "workflow": "echo"})))
        .expect(1)
        .mount(&server)
        .await;
    let run_data = json!({"resultData": {"lastNodeExecuted": "Echo", "runData": {"Echo": [{"executionStatus": "success", "data": {"main": [[{"json": {"echo": {"hello": "world"}, "workflow": "echo"}}]]}}]}}});
    Mock::given(method("GET"))
        .and(path("/api/v1/executions"))
        .and(query_param("workflowId", "dTChtSYxpAZeH1O4"))
        .and(query_param("includeData", "true"))
        .and(header("x-n8n-api-key", KEY))
        .respond_with(reply(200, json!({"data": [
            {"id": "12", "finished": true, "mode": "webhook", "retryOf": null, "status": "success", "startedAt": "2026-11-24T22:53:45.832Z", "stoppedAt": "2026-11-24T22:53:45.845Z", "workflowId": "dTChtSYxpAZeH1O4", "waitTill": null, "data": run_data},
            {"id": "11", "finished": true, "mode": "webhook", "status": "success", "startedAt": "2026-11-24T22:50:00.000Z", "stoppedAt": "2026-11-24T22:50:00.010Z", "workflowId": "dTChtSYxpAZeH1O4"}
        ], "nextCursor": null})))
        .mount(&server)
        .await;

    let n8n = N8n::new(&format!("{}/", server.uri()));
    let session = n8n.login("owner@aiwah.local", "Secret-1").await.expect("login");
    assert_eq!(session.user_id, "7f2b05c3-3097-47bf-b439-72ac88298f39");
    assert!(!format!("{session:?}").contains("session.sig"), "the cookie is never printed");
    let key = n8n.create_api_key(&session, "aiwah-harness").await.expect("api key");
    assert_eq!(key, KEY);
    let n8n = n8n.with_api_key(key);
    assert!(!format!("{n8n:?}").contains(KEY), "the key is never printed");

    let exported = json!({"id": "old", "name": "wf", "active": true, "tags": [], "nodes": [], "connections": {}, "settings": {"executionOrder": "v1"}});
    let id = n8n.create_workflow(&exported).await.expect("create");
    assert_eq!(id, "dTChtSYxpAZeH1O4");
    n8n.activate(&id).await.expect("publish");
    assert_eq!(n8n.call_webhook("aiwah-echo", &json!({"hello": "world"})).await.expect("webhook").0, 404);
    let (status, body) = n8n.wait_webhook("/aiwah-echo", &json!({"hello": "world"}), Duration::from_secs(5)).await.expect("webhook");
    assert_eq!((status, body), (200, json!({"echo": {"hello": "world"}, "workflow": "echo"})));

    let list = n8n.executions(&id).await.expect("executions");
    assert_eq!(list.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["12", "11"]);
    let newest = &list[0];
    assert_eq!((newest.status, newest.finished, newest.mode), (ExecutionStatus::Success, true, ExecutionMode::Webhook));
    assert_eq!(newest.started_at.as_deref(), Some("2026-11-24T22:53:45.832Z"));
    assert_eq!(newest.data.as_ref().unwrap()["resultData"]["runData"]["Echo"][0]["data"]["main"][0][0]["json"]["workflow"], "echo");
    assert!(list[1].data.is_none());
    let done = n8n.wait_execution(&id, &["11".to_string()], Duration::from_secs(2)).await.expect("new execution");
    assert_eq!(done.id, "12");
    let err = n8n.wait_execution(&id, &["11".into(), "12".into()], Duration::from_millis(300)).await.unwrap_err();
    assert!(err.message.contains("workflow dTChtSYxpAZeH1O4") && err.message.contains("12=success"), "{err}");
}

#[tokio::test]
async fn refusals_map_to_api_errors_without_secrets() {
    let server = MockServer::start().await;
    mount(&server, "POST", "/rest/login", reply(401, json!({"code": 401, "message": "Wrong username or password. Do you have caps lock on?"}))).await;
    mount(&server, "GET", "/api/v1/executions", reply(401, json!({"message": "Unauthorized"}))).await;
    let zod = json!({"code": "too_small", "minimum": 1, "type": "array", "message": "Array must contain at least 1 element(s)", "path": ["scopes"]});
    mount(&server, "POST", "/api/v1/workflows", reply(400, json!({"message": "request/body/active is read-only"}))).await;
    mount(&server, "POST", "/api/v1/workflows/taken/publish", reply(409, json!({"message": "There is a conflict with one of the webhooks."}))).await;
    mount(&server, "GET", "/healthz/readiness", reply(503, json!({"status": "error"}))).await;
    let n8n = N8n::new(&server.uri());

    let err = n8n.login("owner@aiwah.local", "Secret-1").await.unwrap_err();
    assert_eq!((err.request.as_str(), err.status, err.code.as_deref()), ("POST /rest/login", 401, None));
    assert!(err.message.starts_with("Wrong username or password") && !err.to_string().contains("Secret-1"), "{err}");
    let err = n8n.health().await.unwrap_err();
    assert_eq!((err.status, err.request.as_str()), (503, "GET /healthz/readiness"));

    let no_key = n8n.create_workflow(&json!({"name": "x"})).await.unwrap_err();
    assert_eq!(no_key.status, 0, "no request without a key: {no_key}");

    let n8n = n8n.with_api_key(KEY);
    let err = n8n.executions("wf1").await.unwrap_err();
    assert_eq!((err.status, err.message.as_str(), err.request.as_str()), (401, "Unauthorized", "GET /api/v1/executions"));
    let err = n8n.create_workflow(&json!({"name": "x"})).await.unwrap_err();
    assert_eq!((err.status, err.message.as_str()), (400, "request/body/active is read-only"));
    let err = n8n.activate("taken").await.unwrap_err();
    assert_eq!(err.status, 409);
    assert!(!err.to_string().contains(KEY));

    // A validation error carries a string code; a login answer without the cookie is refused.
    let server = MockServer::start().await;
    mount(&server, "POST", "/rest/api-keys", reply(400, zod)).await;
    let with_cookie = reply(200, json!({"data": {"id": "u"}})).append_header("Set-Cookie", format!("{COOKIE}; Path=/"));
    Mock::given(method("POST")).and(path("/rest/login")).and(body_partial_json(json!({"password": "ok"}))).respond_with(with_cookie).mount(&server).await;
    mount(&server, "POST", "/rest/login", reply(200, json!({"data": {"id": "u"}}))).await;
    let n8n = N8n::new(&server.uri());
    let err = n8n.login("a@b.c", "pw").await.unwrap_err();
    assert!(err.message.contains("n8n-auth"), "200 without cookie is refused: {err}");
    let session = n8n.login("a@b.c", "ok").await.expect("login");
    let err = n8n.create_api_key(&session, "x").await.unwrap_err();
    assert_eq!((err.status, err.code.as_deref(), err.request.as_str()), (400, Some("too_small"), "POST /rest/api-keys"));
    assert!(!err.to_string().contains("session.sig"), "{err}");
}

#[tokio::test]
async fn delete_unpublishes_and_retries_the_publication_race() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/workflows/wf1/unpublish"))
        .and(header("x-n8n-api-key", KEY))
        .respond_with(reply(200, json!({"id": "wf1", "active": false})))
        .expect(1)
        .mount(&server)
        .await;
    let published = json!({"message": "Cannot delete a published workflow. Unpublish it before deleting."});
    Mock::given(method("DELETE")).and(path("/api/v1/workflows/wf1")).respond_with(reply(409, published)).up_to_n_times(1).expect(1).mount(&server).await;
    Mock::given(method("DELETE"))
        .and(path("/api/v1/workflows/wf1"))
        .and(header("x-n8n-api-key", KEY))
        .respond_with(reply(200, json!({"id": "wf1"})))
        .expect(1)
        .mount(&server)
        .await;
    let n8n = N8n::new(&server.uri()).with_api_key(KEY);
    n8n.delete_workflow("wf1").await.expect("deleted after one 409");

    // A failing workflow answers 500 through the webhook; that is an answer, not a transport error.
    Mock::given(method("POST"))
        .and(path("/webhook/aiwah-todo"))
        .and(body_partial_json(json!({"title": "t"})))
        .respond_with(reply(500, json!({"message": "Error in workflow"})))
        .mount(&server)
        .await;
    let (status, body) = n8n.call_webhook("aiwah-todo", &json!({"title": "t", "user_id": "u"})).await.expect("answer");
    assert_eq!((status, body["message"].as_str()), (500, Some("Error in workflow")));
}

/// n8n-workflow 2.41.1's `ExecutionStatusList`, and its `isTerminalExecutionStatus` (canceled, crashed, error, success).
#[tokio::test]
async fn execution_states_are_n8n_s_eight_and_only_terminal_ones_are_done() {
    let all =
        [("canceled", true), ("crashed", true), ("error", true), ("success", true), ("new", false), ("running", false), ("unknown", false), ("waiting", false)];
    for (word, terminal) in all {
        let e = Execution::from_json(&json!({"id": 1, "status": word, "mode": "webhook"})).unwrap_or_else(|e| panic!("{word}: {e}"));
        assert_eq!((e.status.to_string(), e.status.is_terminal(), e.id.as_str()), (word.to_string(), terminal, "1"));
    }
    let err = Execution::from_json(&json!({"id": "7", "status": "finished", "mode": "webhook"})).unwrap_err();
    assert!(err.contains("execution \"7\"") && err.contains("finished"), "{err}");
    assert!(Execution::from_json(&json!({"id": "7", "status": "success", "mode": "telepathy"})).unwrap_err().contains("telepathy"));

    // Polling passes over an execution that is not terminal yet (`unknown` included) and takes the next.
    let server = MockServer::start().await;
    let listing = |status: &str| reply(200, json!({"data": [{"id": "9", "status": status, "mode": "webhook", "finished": false}], "nextCursor": null}));
    Mock::given(method("GET")).and(path("/api/v1/executions")).respond_with(listing("running")).up_to_n_times(1).mount(&server).await;
    Mock::given(method("GET")).and(path("/api/v1/executions")).respond_with(listing("unknown")).up_to_n_times(1).mount(&server).await;
    Mock::given(method("GET")).and(path("/api/v1/executions")).respond_with(listing("error")).mount(&server).await;
    let n8n = N8n::new(&server.uri()).with_api_key(KEY);
    let done = n8n.wait_execution("wf", &[], Duration::from_secs(5)).await.expect("terminal execution");
    assert_eq!((done.id.as_str(), done.status), ("9", ExecutionStatus::Error));
    // A status n8n does not have is an error of the listing, not an execution silently dropped.
    let server = MockServer::start().await;
    mount(&server, "GET", "/api/v1/executions", reply(200, json!({"data": [{"id": "3", "status": "done", "mode": "webhook"}]}))).await;
    let err = N8n::new(&server.uri()).with_api_key(KEY).executions("wf").await.unwrap_err();
    assert!(err.request == "GET /api/v1/executions" && err.message.contains("done"), "{err}");
}

/// `GET /api/v1/credentials/schema/httpCustomAuth` as n8n 2.41.1 answers it.
fn custom_auth_schema() -> Value {
    json!({"additionalProperties": false, "type": "object", "properties": {"json": {"type": "json"},
        "allowedHttpRequestDomains": {"type": "string", "enum": ["all", "domains", "none"]}, "allowedDomains": {"type": "string"}}, "required": ["json"]})
}

fn created(id: &str) -> Value {
    json!({"id": id, "name": "AIWAH Supabase service key", "type": "httpCustomAuth", "isManaged": false, "isGlobal": false, "isResolvable": false,
        "resolvableAllowFallback": false, "resolverId": null, "createdAt": "2026-12-01T12:01:18.903Z", "updatedAt": "2026-12-01T12:01:18.898Z"})
}

#[tokio::test]
async fn the_service_key_credential_is_created_once_with_both_headers_and_only_for_kong() {
    let secret = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.sig";
    let credential = supabase_credential(secret);
    assert!(!format!("{credential:?}").contains(secret), "the key is never printed: {credential:?}");
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/credentials/schema/httpCustomAuth"))
        .and(header("x-n8n-api-key", KEY))
        .respond_with(reply(200, custom_auth_schema()))
        .mount(&server)
        .await;
    // `json` must be a string (the HTTP Request node `jsonParse`s it) carrying Kong's and PostgREST's headers.
    let expected_headers = json!({"apikey": secret, "Authorization": format!("Bearer {secret}")});
    let body_ok = move |r: &wiremock::Request| {
        let body: Value = serde_json::from_slice(&r.body).unwrap_or_default();
        let data = &body["data"];
        let headers = data["json"].as_str().and_then(|s| serde_json::from_str::<Value>(s).ok()).map(|j| j["headers"].clone());
        body["id"] == "aiwah-supabase"
            && body["type"] == "httpCustomAuth"
            && body["name"] == "AIWAH Supabase service key"
            && headers == Some(expected_headers.clone())
            && data["allowedHttpRequestDomains"] == "domains"
            && data["allowedDomains"] == SUPABASE_HOST
    };
    let exists = json!({"message": "A credential with this ID already exists"});
    Mock::given(method("POST"))
        .and(path("/api/v1/credentials"))
        .and(header("x-n8n-api-key", KEY))
        .and(body_ok)
        .respond_with(reply(200, created("aiwah-supabase")))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST")).and(path("/api/v1/credentials")).respond_with(reply(409, exists)).mount(&server).await;
    Mock::given(method("GET")).and(path("/api/v1/credentials/aiwah-supabase")).respond_with(reply(200, created("aiwah-supabase"))).mount(&server).await;
    let n8n = N8n::new(&server.uri()).with_api_key(KEY);
    assert_eq!(n8n.ensure_credential(&credential).await.expect("created"), Ensured::Created);
    assert_eq!(n8n.ensure_credential(&credential).await.expect("already there"), Ensured::Existed);

    // The id taken by a credential of another type: an error, not "existed".
    let server = MockServer::start().await;
    mount(&server, "GET", "/api/v1/credentials/schema/httpCustomAuth", reply(200, custom_auth_schema())).await;
    mount(&server, "POST", "/api/v1/credentials", reply(409, json!({"message": "A credential with this ID already exists"}))).await;
    mount(
        &server,
        "GET",
        "/api/v1/credentials/aiwah-supabase",
        reply(200, json!({"id": "aiwah-supabase", "name": "AIWAH Supabase service key", "type": "httpHeaderAuth"})),
    )
    .await;
    let err = N8n::new(&server.uri()).with_api_key(KEY).ensure_credential(&credential).await.unwrap_err();
    assert!(err.status == 409 && err.message.contains("httpHeaderAuth"), "{err}");
    assert!(!err.to_string().contains(secret));

    // A schema without one of our fields (n8n changed the type): refused before anything is sent.
    let server = MockServer::start().await;
    let mut schema = custom_auth_schema();
    schema["properties"].as_object_mut().unwrap().remove("allowedDomains");
    mount(&server, "GET", "/api/v1/credentials/schema/httpCustomAuth", reply(200, schema)).await;
    Mock::given(method("POST")).and(path("/api/v1/credentials")).respond_with(reply(200, created("x"))).expect(0).mount(&server).await;
    let err = N8n::new(&server.uri()).with_api_key(KEY).ensure_credential(&credential).await.unwrap_err();
    assert!(err.message.contains("allowedDomains"), "{err}");
}

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/n8n")
}

fn node<'a>(wf: &'a Value, kind: &str) -> &'a Value {
    let nodes: Vec<&Value> = wf["nodes"].as_array().unwrap().iter().filter(|n| n["type"] == kind).collect();
    assert_eq!(nodes.len(), 1, "{}: exactly one {kind}", wf["name"]);
    nodes[0]
}

#[test]
fn fixtures_are_connected_workflows_with_stable_webhooks() {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(fixture_dir()).expect("fixtures/n8n").flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "json")).collect();
    files.sort();
    let names: Vec<String> = files.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["echo.json", "todo-through-kong.json"]);
    let (mut paths, mut ids) = (Vec::new(), Vec::new());
    for (file, fname) in files.iter().zip(&names) {
        let text = std::fs::read_to_string(file).unwrap();
        assert!(!text.contains("eyJ"), "{file:?}: no literal JWT in a fixture");
        assert!(!text.contains("$env"), "{file:?}: workflows read no environment (N8N_BLOCK_ENV_ACCESS_IN_NODE)");
        let wf: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file:?}: {e}"));
        for field in ["active", "id", "tags", "versionId", "meta"] {
            assert!(wf.get(field).is_none(), "{file:?}: `{field}` is read-only in POST /api/v1/workflows");
        }
        assert!(wf["name"].is_string() && wf["settings"]["executionOrder"] == "v1", "{file:?}");
        let nodes = wf["nodes"].as_array().unwrap();
        let node_names: Vec<&str> = nodes.iter().map(|n| n["name"].as_str().unwrap()).collect();
        for n in nodes {
            let id = n["id"].as_str().unwrap();
            assert_eq!(id.len(), 36, "{file:?}: node ids are fixed uuids");
            ids.push(id.to_string());
            assert!(n["position"].as_array().is_some_and(|p| p.len() == 2) && n["typeVersion"].is_number());
        }
        // Every connection names existing nodes, and every node but the trigger is fed by one.
        let connections = wf["connections"].as_object().unwrap();
        let mut targets = Vec::new();
        for (source, outputs) in connections {
            assert!(node_names.contains(&source.as_str()), "{file:?}: unknown source {source}");
            for link in outputs["main"].as_array().unwrap().iter().flat_map(|o| o.as_array().unwrap()) {
                let target = link["node"].as_str().unwrap();
                assert!(node_names.contains(&target) && link["type"] == "main", "{file:?}: unknown target {target}");
                targets.push(target);
            }
        }
        let hook = node(&wf, "n8n-nodes-base.webhook");
        for name in node_names.iter().filter(|n| **n != hook["name"]) {
            assert!(targets.contains(name), "{file:?}: {name} is not connected");
        }
        let p = &hook["parameters"];
        assert_eq!(p["httpMethod"], "POST");
        assert!(["lastNode", "responseNode"].contains(&p["responseMode"].as_str().unwrap()), "{file:?}");
        assert_eq!(hook["webhookId"].as_str().unwrap().len(), 36, "{file:?}: fixed webhookId");
        paths.push(p["path"].as_str().unwrap().to_string());
        ids.push(hook["webhookId"].as_str().unwrap().to_string());

        match fname.as_str() {
            "echo.json" => {
                assert_eq!(p["path"], "aiwah-echo");
                let out = node(&wf, "n8n-nodes-base.set")["parameters"]["jsonOutput"].as_str().unwrap();
                assert!(out.contains("{{ $json.body }}") && out.contains("\"workflow\": \"echo\""), "{out}");
            }
            _ => {
                assert_eq!(p["path"], "aiwah-todo");
                let http_node = node(&wf, "n8n-nodes-base.httpRequest");
                let http = &http_node["parameters"];
                // The key comes from the n8n credential, sent only to Kong: no header of the node carries it.
                let url = format!("http://{SUPABASE_HOST}:8000/rest/v1/todos");
                assert_eq!((http["method"].as_str(), http["url"].as_str()), (Some("POST"), Some(url.as_str())));
                assert_eq!((http["authentication"].as_str(), http["genericAuthType"].as_str()), (Some("genericCredentialType"), Some("httpCustomAuth")));
                assert_eq!(http_node["credentials"], supabase_credential("unused").node_reference());
                let headers: Vec<(&str, &str)> = http["headerParameters"]["parameters"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|h| (h["name"].as_str().unwrap(), h["value"].as_str().unwrap()))
                    .collect();
                assert_eq!(headers, [("Prefer", "return=representation")]);
                assert_eq!((http["sendBody"].as_bool(), http["specifyBody"].as_str()), (Some(true), Some("json")));
                let body = http["jsonBody"].as_str().unwrap();
                assert!(body.contains("$json.body.title") && body.contains("$json.body.user_id"), "{body}");
            }
        }
    }
    let unique = |v: &Vec<String>| v.iter().collect::<std::collections::BTreeSet<_>>().len() == v.len();
    assert!(unique(&paths) && unique(&ids), "webhook paths and ids are unique across fixtures (publishing a taken path: 409)");
}
