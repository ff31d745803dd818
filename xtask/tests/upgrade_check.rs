//! `cargo xtask upgrade-check` as a user meets it, in a copy of the repository: discovery and the report
//! against a recorded registry, and every way it cannot check — an unknown key, an unreachable registry,
//! a registry answering 401 or 429 — as one line and exit 2. The real run with culprit search is in
//! `upgrade_check_live.rs`.

use std::process::{Command, Output};

use aiwah_harness::testing::StackCopy;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn upgrade_check(copy: &StackCopy, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("upgrade-check")
        .args(args)
        .current_dir(copy.root())
        .env_remove("AIWAH_REGISTRY_MIRROR")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

/// Run it off the mock server's runtime (it blocks).
async fn upgrade_check_async(copy: std::sync::Arc<StackCopy>, args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || upgrade_check(&copy, &args.iter().map(String::as_str).collect::<Vec<_>>())).await.unwrap()
}

/// The single `error:` line it printed (and that there is exactly one).
fn error_line(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "one error line expected:\n{stderr}");
    errors[0].to_string()
}

#[test]
fn an_unknown_image_key_or_manifest_key_is_one_line_and_exit_2() {
    let copy = StackCopy::new();
    let out = upgrade_check(&copy, &["--only", "n8n-typo", "--no-run"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(error_line(&out).starts_with("error: upgrade-check --only: no image \"n8n-typo\" in stacks/images.toml — keys: "), "{}", error_line(&out));

    copy.mutate("stacks/images.toml", "versioning = \"semver\"\n", "versoning = \"semver\"\n");
    let out = upgrade_check(&copy, &["--only", "n8n", "--no-run"]);
    assert_eq!(out.status.code(), Some(2));
    let line = error_line(&out);
    assert!(line.starts_with("error: stacks/images.toml: invalid TOML") && line.contains("versoning"), "{line}");
}

#[test]
fn an_unreachable_registry_is_one_line_and_exit_2() {
    let copy = StackCopy::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let out = upgrade_check(&copy, &["--only", "n8n", "--no-run", "--registry", &format!("http://127.0.0.1:{port}")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(error_line(&out).starts_with(&format!("error: registry http://127.0.0.1:{port}: unreachable: ")), "{}", error_line(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_registry_answering_401_or_429_is_named_in_its_own_words_and_exit_2() {
    let copy = std::sync::Arc::new(StackCopy::new());
    for (status, code, words, meaning) in [
        (429, "TOOMANYREQUESTS", "You have reached your unauthenticated pull rate limit.", "rate-limited (HTTP 429)"),
        (401, "UNAUTHORIZED", "authentication required", "refused anonymous access (HTTP 401)"),
    ] {
        let server = MockServer::start().await;
        Mock::given(path("/v2/n8nio/n8n/tags/list"))
            .respond_with(ResponseTemplate::new(status).set_body_json(serde_json::json!({"errors": [{"code": code, "message": words}]})))
            .mount(&server)
            .await;
        let out = upgrade_check_async(copy.clone(), vec!["--only".into(), "n8n".into(), "--no-run".into(), "--registry".into(), server.uri()]).await;
        assert_eq!(out.status.code(), Some(2), "{status}");
        let line = error_line(&out);
        assert!(line.starts_with(&format!("error: registry {}: {meaning}: {code} {words}", server.uri())), "{line}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn discovery_proposes_the_newest_allowed_release_with_its_digest_and_reports_it() {
    let copy = std::sync::Arc::new(StackCopy::new());
    let server = MockServer::start().await;
    let tags = ["2.41.0", "2.41.1", "2.41.2", "2.41.3", "2.42.0-rc.1", "3.0.0", "latest", "next"];
    Mock::given(method("GET"))
        .and(path("/v2/n8nio/n8n/tags/list"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"name": "n8nio/n8n", "tags": tags})))
        .mount(&server)
        .await;
    let digest = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
    Mock::given(method("HEAD"))
        .and(path("/v2/n8nio/n8n/manifests/2.41.2"))
        .respond_with(
            ResponseTemplate::new(200).insert_header("docker-content-digest", digest).insert_header("content-type", "application/vnd.oci.image.index.v1+json"),
        )
        .mount(&server)
        .await;
    // Dates for n8n's 3-day cool-down, from each image's config: 2.41.3 is a day old, 2.41.2 a month.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let created = |tag: &str, unix: u64| {
        let config = format!("sha256:{:064x}", unix);
        let manifest = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": config, "size": 1}, "layers": []});
        let blob = serde_json::json!({"created": aiwah_harness::clock::Utc::from_unix(unix).rfc3339(), "os": "linux"});
        (
            Mock::given(method("GET")).and(path(format!("/v2/n8nio/n8n/manifests/{tag}"))).respond_with(ResponseTemplate::new(200).set_body_json(manifest)),
            Mock::given(method("GET")).and(path(format!("/v2/n8nio/n8n/blobs/{config}"))).respond_with(ResponseTemplate::new(200).set_body_json(blob)),
        )
    };
    let month_old = now - 30 * 86_400;
    for (tag, unix) in [("2.41.3", now - 86_400), ("2.41.2", month_old)] {
        let (manifest, blob) = created(tag, unix);
        manifest.mount(&server).await;
        blob.mount(&server).await;
    }
    let out = upgrade_check_async(copy.clone(), vec!["--only".into(), "n8n".into(), "--no-run".into(), "--registry".into(), server.uri()]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let reports: Vec<_> = std::fs::read_dir(copy.root().join("target/upgrade-check")).unwrap().flatten().collect();
    assert_eq!(reports.len(), 1);
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(reports[0].path().join("report.json")).unwrap()).unwrap();
    let n8n = &report["images"][0];
    assert_eq!((n8n["key"].as_str(), n8n["current"].as_str()), (Some("n8n"), Some("n8nio/n8n:2.41.1")));
    assert_eq!(n8n["candidate"]["image"], "n8nio/n8n:2.41.2");
    assert_eq!(n8n["candidate"]["digest"], digest);
    assert_eq!(n8n["candidate"]["reference"], format!("{}/n8nio/n8n:2.41.2", server.uri().trim_start_matches("http://")));
    assert_eq!(n8n["held_back"][0], serde_json::json!({"tag": "3.0.0", "reason": "bump-too-large", "bump": "major", "allowed": "minor"}));
    assert_eq!((n8n["held_back"][1]["tag"].as_str(), n8n["held_back"][1]["reason"].as_str()), (Some("2.41.3"), Some("cooling-down")), "{n8n:#}");
    assert_eq!(n8n["not_releases"], 3, "rc, latest, next");
    assert_eq!(n8n["dates"][1]["tag"], "2.41.2");
    assert_eq!((n8n["dates"][1]["source"].as_str(), n8n["dates"][1]["unix"].as_u64()), (Some("config-created"), Some(month_old)));
    let md = std::fs::read_to_string(reports[0].path().join("report.md")).unwrap();
    let month_old_utc = aiwah_harness::clock::Utc::from_unix(month_old).rfc3339();
    let row = format!("| n8n | n8nio/n8n:2.41.1 | n8nio/n8n:2.41.2 (patch) | `{digest}` | 3 d: 2.41.3 config created ");
    assert!(md.contains(&row) && md.contains(&format!(", held back (2 d left); 2.41.2 config created {month_old_utc}, old enough | not run |")), "{md}");
}
