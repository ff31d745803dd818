//! stacks/supabase/volumes/functions/main/index.ts (the Edge Functions main service) answers as upstream's
//! router does: with VERIFY_JWT=true it refuses a request without a valid bearer token with 401, the
//! error code in the body and in `sb-error-code`; OPTIONS passes unchecked; the first path segment names
//! the function served from /home/deno/functions/<name>; 400 without a name, 500 when the worker fails.
//! edge-runtime is a placeholder here, so the router runs under Node 24 in the offline n8n image (jose 6
//! from n8n's node_modules; `Deno`/`EdgeRuntime` stand-ins in support/edge_main_runner.mjs).

use std::io::Write as _;
use std::process::{Command, Stdio};

use aiwah_harness::engine::{docker, plan};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

const SECRET: &str = "a-test-secret-of-at-least-thirty-two-characters";

fn token(alg: Algorithm, secret: &str) -> String {
    let exp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 3600;
    encode(&Header::new(alg), &json!({ "role": "anon", "exp": exp }), &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

/// Send `requests` ((method, path, Authorization header)) through the router given as `source`; one answer each.
fn run(source: &str, env: &[(&str, &str)], requests: &[(&str, &str, Option<String>)]) -> Vec<Value> {
    let root = aiwah_harness::repo::this_checkout();
    let image = plan::offline_tag(&root, "n8n").unwrap();
    assert!(docker::image_present(&image).unwrap(), "image {image} is missing: run cargo xtask images build --offline");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.ts"), source).unwrap();
    std::fs::copy(root.join("harness/tests/support/edge_main_runner.mjs"), dir.path().join("runner.mjs")).unwrap();
    let mut args: Vec<String> = vec!["run".into(), "--rm".into(), "-i".into(), "--network".into(), "none".into(), "--user".into(), "root".into()];
    args.extend(["--volume".into(), format!("{}:/router:ro", dir.path().display())]);
    for (key, value) in env {
        args.extend(["--env".into(), format!("{key}={value}")]);
    }
    args.extend(["--entrypoint".into(), "node".into(), image, "/router/runner.mjs".into(), "/router/index.ts".into()]);
    let mut child = Command::new("docker").args(&args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let input: String = requests.iter().map(|(method, path, auth)| format!("{}\n", json!({ "method": method, "path": path, "auth": auth }))).collect();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "the router run failed: {}", String::from_utf8_lossy(&out.stderr));
    let answers: Vec<Value> =
        stdout.lines().filter_map(|l| l.strip_prefix("ANSWER ")).map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    assert_eq!(answers.len(), requests.len(), "one answer per request: {stdout}");
    answers
}

fn router() -> String {
    std::fs::read_to_string(aiwah_harness::repo::this_checkout().join("stacks/supabase/volumes/functions/main/index.ts")).unwrap()
}

/// (status, sb-error-code, body.code, body.message, body.msg) of a refusal.
fn refusal(answer: &Value) -> (u64, &str, &str, &str, &str) {
    fn text(v: &Value) -> &str {
        v.as_str().unwrap_or("<none>")
    }
    (
        answer["status"].as_u64().unwrap(),
        text(&answer["errorCode"]),
        text(&answer["body"]["code"]),
        text(&answer["body"]["message"]),
        text(&answer["body"]["msg"]),
    )
}

fn verifying_requests() -> Vec<(&'static str, &'static str, Option<String>)> {
    let valid = format!("Bearer {}", token(Algorithm::HS256, SECRET));
    vec![
        ("POST", "/hello", None),
        ("POST", "/hello", Some(format!("Basic {}", token(Algorithm::HS256, SECRET)))),
        ("POST", "/hello", Some("Bearer not-a-jwt".into())),
        ("POST", "/hello", Some(format!("Bearer {}", token(Algorithm::HS256, "some-other-secret-of-thirty-two-chars")))),
        ("POST", "/hello", Some(format!("Bearer {}", token(Algorithm::HS512, SECRET)))),
        ("POST", "/hello", Some("Bearer $ES256".into())),
        ("POST", "/hello", Some(valid.clone())),
        ("OPTIONS", "/hello", None),
        ("GET", "/", Some(valid.clone())),
        ("GET", "/broken", Some(valid)),
    ]
}

#[test]
fn with_verify_jwt_the_router_refuses_bad_tokens_with_upstreams_codes_and_routes_the_rest() {
    let answers = run(&router(), &[("VERIFY_JWT", "true"), ("JWT_SECRET", SECRET)], &verifying_requests());
    let [none, basic, garbage, wrong_secret, hs512, es256_without_keys, valid, options, no_name, broken] = answers.as_slice() else { unreachable!() };
    assert_eq!(
        refusal(none),
        (401, "UNAUTHORIZED_NO_AUTH_HEADER", "UNAUTHORIZED_NO_AUTH_HEADER", "Missing authorization header", "Missing authorization header")
    );
    assert_eq!(refusal(basic), (401, "UNAUTHORIZED_INVALID_JWT_FORMAT", "UNAUTHORIZED_INVALID_JWT_FORMAT", "Invalid JWT format", "Invalid JWT format"));
    assert_eq!(refusal(garbage).1, "UNAUTHORIZED_INVALID_JWT_FORMAT");
    assert_eq!(refusal(wrong_secret), (401, "UNAUTHORIZED_LEGACY_JWT", "UNAUTHORIZED_LEGACY_JWT", "Invalid JWT", "Invalid JWT"));
    assert_eq!(refusal(hs512).2, "UNAUTHORIZED_UNSUPPORTED_TOKEN_ALGORITHM");
    assert_eq!(refusal(hs512).3, "Unsupported JWT algorithm HS512");
    assert_eq!(refusal(es256_without_keys), (401, "UNAUTHORIZED_ASYMMETRIC_JWT", "UNAUTHORIZED_ASYMMETRIC_JWT", "Invalid JWT", "Invalid JWT"));
    assert_eq!(none["contentType"], "application/json");

    assert_eq!((valid["status"].as_u64(), &valid["body"]["worker"]), (Some(200), &json!("/home/deno/functions/hello")));
    assert_eq!(
        valid["worker"],
        json!({ "servicePath": "/home/deno/functions/hello", "memoryLimitMb": 150, "workerTimeoutMs": 60000, "noModuleCache": false, "importMapPath": null, "passesEnv": true })
    );
    assert_eq!((options["status"].as_u64(), &options["body"]["method"]), (Some(200), &json!("OPTIONS")), "preflight is not checked");
    assert_eq!((no_name["status"].as_u64(), &no_name["body"]), (Some(400), &json!({ "msg": "missing function name in request" })));
    assert_eq!((broken["status"].as_u64(), &broken["body"]), (Some(500), &json!({ "msg": "Error: worker boot failed" })));
}

#[test]
fn asymmetric_tokens_pass_with_supabase_jwks_and_nothing_is_checked_without_verify_jwt() {
    let with_keys = run(&router(), &[("VERIFY_JWT", "true"), ("JWT_SECRET", SECRET), ("WITH_JWKS", "1")], &[("POST", "/hello", Some("Bearer $ES256".into()))]);
    assert_eq!((with_keys[0]["status"].as_u64(), &with_keys[0]["body"]["worker"]), (Some(200), &json!("/home/deno/functions/hello")));

    let open = run(&router(), &[("VERIFY_JWT", "false"), ("JWT_SECRET", SECRET)], &[("POST", "/hello", None), ("POST", "/other", Some("Bearer junk".into()))]);
    assert_eq!(
        open.iter().map(|a| (a["status"].as_u64().unwrap(), a["body"]["worker"].as_str().unwrap().to_string())).collect::<Vec<_>>(),
        [(200, "/home/deno/functions/hello".to_string()), (200, "/home/deno/functions/other".to_string())]
    );
}

// The checks above can fail: a router that also checks preflight requests, or that forgets the header
// code, is caught.
#[test]
fn a_router_that_checks_preflight_or_drops_the_error_header_is_caught() {
    let source = router();
    let checks_options = source.replacen("if (!verifyJwt || req.method === 'OPTIONS') return null", "if (!verifyJwt) return null", 1);
    assert_ne!(checks_options, source, "mutation must apply");
    let answers = run(&checks_options, &[("VERIFY_JWT", "true"), ("JWT_SECRET", SECRET)], &[("OPTIONS", "/hello", None)]);
    assert_eq!(refusal(&answers[0]).0, 401, "the mutated router refuses preflight, which the main test forbids");

    let no_header = source.replacen("{ 'sb-error-code': refusal.code }", "{}", 1);
    assert_ne!(no_header, source, "mutation must apply");
    let answers = run(&no_header, &[("VERIFY_JWT", "true"), ("JWT_SECRET", SECRET)], &[("POST", "/hello", None)]);
    assert_ne!(refusal(&answers[0]).1, "UNAUTHORIZED_NO_AUTH_HEADER", "the mutated router sends no sb-error-code");
}
