//! Release dates for the cool-down, against recorded services: Docker Hub's API answering a tag as its
//! reference documents it (`GET /v2/namespaces/{namespace}/repositories/{repository}/tags/{tag}`, a `tag`
//! object whose `tag_last_pushed` is an RFC 3339 time or null; errors as `{"message": ...}`), and a
//! registry serving a manifest list, a platform manifest and a config blob whose `created` is the date.
//! The real registry (distribution 2.8) is exercised by xtask's `upgrade_check_dates` test.

use aiwah_harness::registry::dates::{DateSource, Dating, HubClient, TagDate};
use aiwah_harness::registry::{Endpoint, Failure, ImageRef, RegistryClient};
use wiremock::matchers::{headers, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

/// A Hub `tag` object as the API reference shows one (our values).
fn hub_tag(name: &str, last_pushed: Option<&str>) -> serde_json::Value {
    serde_json::json!({
        "creator": 7, "full_size": 52_000_000, "id": 901, "name": name, "repository": 55, "v2": true,
        "images": [{"architecture": "amd64", "os": "linux", "features": null, "variant": null, "os_features": null, "os_version": null,
                    "size": 52_000_000, "status": "active", "last_pulled": "2026-11-30T08:00:00.000000Z", "last_pushed": last_pushed}],
        "last_updated": "2026-11-29T09:10:11.121314Z", "last_updater": 7, "last_updater_username": "someone",
        "tag_last_pulled": "2026-11-30T08:00:00.000000Z", "tag_last_pushed": last_pushed, "tag_status": "active"
    })
}

#[tokio::test]
async fn hub_tag_last_pushed_is_the_date_and_official_images_live_under_library() {
    let hub = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/namespaces/n8nio/repositories/n8n/tags/2.41.2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(hub_tag("2.41.2", Some("2026-11-28T10:20:30.405060Z"))))
        .mount(&hub)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/namespaces/library/repositories/postgres/tags/17.7"))
        .respond_with(ResponseTemplate::new(200).set_body_json(hub_tag("17.7", None)))
        .mount(&hub)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/namespaces/n8nio/repositories/n8n/tags/9.9.9"))
        .respond_with(ResponseTemplate::new(404).set_body_json(serde_json::json!({"errinfo": null, "message": "object not found"})))
        .mount(&hub)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/namespaces/n8nio/repositories/n8n/tags/2.41.3"))
        .respond_with(ResponseTemplate::new(429).set_body_json(serde_json::json!({"message": "Too Many Requests"})))
        .mount(&hub)
        .await;
    let uri = hub.uri();
    let (pushed, never, missing, limited) = blocking(move || {
        let client = HubClient::new(&uri);
        let ask = |image: &str| client.tag_last_pushed(&ImageRef::parse(image).unwrap());
        (ask("n8nio/n8n:2.41.2"), ask("postgres:17.7"), ask("n8nio/n8n:9.9.9"), ask("n8nio/n8n:2.41.3"))
    })
    .await;
    assert_eq!(pushed.unwrap(), Dating::Known(TagDate::new(DateSource::HubTagLastPushed, 1_795_861_230)));
    assert!(matches!(never.unwrap(), Dating::Unknown { why } if why.contains("no tag_last_pushed")));
    let missing = missing.unwrap_err();
    assert_eq!(missing.failure, Failure::NotFound);
    assert!(missing.to_string().contains("HTTP 404: object not found"), "{missing}");
    let limited = limited.unwrap_err();
    assert_eq!(limited.failure, Failure::RateLimited);
    assert!(limited.to_string().starts_with(&format!("Docker Hub API {}: HTTP 429: Too Many Requests", hub.uri())), "{limited}");
}

const AMD64: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
const ARM64: &str = "sha256:3333333333333333333333333333333333333333333333333333333333333333";
const CONFIG_AMD64: &str = "sha256:4444444444444444444444444444444444444444444444444444444444444444";
const CONFIG_ARM64: &str = "sha256:5555555555555555555555555555555555555555555555555555555555555555";

#[tokio::test]
async fn an_index_is_read_for_this_platform_and_its_config_created_is_the_date() {
    let registry = MockServer::start().await;
    let platform = |digest: &str, arch: &str| serde_json::json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest, "size": 500, "platform": {"architecture": arch, "os": "linux"}});
    let index = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [platform(ARM64, "arm64"), platform(AMD64, "amd64")]});
    Mock::given(method("GET"))
        .and(path("/v2/supabase/gotrue/manifests/v2.197.0"))
        .and(headers("accept", aiwah_harness::registry::client::MANIFEST_ACCEPT.split(", ").collect()))
        .respond_with(ResponseTemplate::new(200).set_body_json(index))
        .mount(&registry)
        .await;
    for (digest, config) in [(AMD64, CONFIG_AMD64), (ARM64, CONFIG_ARM64)] {
        let manifest = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 1000}, "layers": []});
        Mock::given(method("GET"))
            .and(path(format!("/v2/supabase/gotrue/manifests/{digest}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(manifest))
            .mount(&registry)
            .await;
    }
    let config =
        |created: &str| serde_json::json!({"architecture": "x", "os": "linux", "created": created, "config": {}, "rootfs": {"type": "layers", "diff_ids": []}});
    let (amd, arm) = ("2026-11-20T00:00:00Z", "2026-11-25T00:00:00Z");
    Mock::given(method("GET"))
        .and(path(format!("/v2/supabase/gotrue/blobs/{CONFIG_AMD64}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(config(amd)))
        .mount(&registry)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v2/supabase/gotrue/blobs/{CONFIG_ARM64}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(config(arm)))
        .mount(&registry)
        .await;
    let uri = registry.uri();
    let (dated, missing) = blocking(move || {
        let client = RegistryClient::new(Endpoint::parse(&uri).unwrap());
        (
            client.config_created(&ImageRef::parse("supabase/gotrue:v2.197.0").unwrap()),
            client.config_created(&ImageRef::parse("supabase/gotrue:v9.0.0").unwrap()),
        )
    })
    .await;
    let (_, arch) = aiwah_harness::registry::dates::engine_platform();
    let want = if arch == "arm64" { arm } else { amd };
    let unix = aiwah_harness::registry::dates::parse_rfc3339(want).unwrap();
    assert_eq!(dated.unwrap(), Dating::Known(TagDate::new(DateSource::ConfigCreated, unix)), "this platform's config, not the other one's");
    assert!(matches!(missing.unwrap(), Dating::Unknown { why } if why.contains("no such manifest")), "a tag the registry does not have has no date");
}
