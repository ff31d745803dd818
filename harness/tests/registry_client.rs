//! The Distribution client against a recorded registry (wiremock answering as Docker Hub does: a Bearer
//! challenge, a token realm, `Link` paging, error bodies) and against the real local registry
//! (Debian's distribution 2.8) holding images pushed here, including a multi-platform index.

use aiwah_harness::registry::local::LocalRegistry;
use aiwah_harness::registry::{Endpoint, Failure, ImageRef, RegistryClient, client::MANIFEST_ACCEPT};
use wiremock::matchers::{header, headers, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The blocking client runs on its own thread (it must not run inside the mock server's runtime).
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

/// A client of `server` (its base URL), built on the blocking thread that uses it.
fn client(uri: &str) -> RegistryClient {
    RegistryClient::new(Endpoint::parse(uri).unwrap()).with_page_size(2)
}

fn gotrue() -> ImageRef {
    ImageRef::parse("supabase/gotrue:v2.196.0").unwrap()
}

/// A registry that wants a token for every request, as Docker Hub does.
async fn challenging_registry() -> MockServer {
    let server = MockServer::start().await;
    let challenge = format!(r#"Bearer realm="{}/token",service="registry.test",scope="repository:supabase/gotrue:pull""#, server.uri());
    Mock::given(method("GET"))
        .and(path("/token"))
        .and(query_param("service", "registry.test"))
        .and(query_param("scope", "repository:supabase/gotrue:pull"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"token": "t0k", "expires_in": 300})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/v2/supabase/gotrue/tags/list"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("www-authenticate", challenge.as_str())
                .set_body_json(serde_json::json!({"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]})),
        )
        .with_priority(10)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn the_token_flow_and_link_paging_collect_every_tag_with_one_token() {
    let server = challenging_registry().await;
    Mock::given(method("GET"))
        .and(path("/v2/supabase/gotrue/tags/list"))
        .and(query_param("n", "2"))
        .and(query_param("last", "v2.196.0"))
        .and(header("authorization", "Bearer t0k"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"name": "supabase/gotrue", "tags": ["v2.197.0"]})))
        .with_priority(1)
        .mount(&server)
        .await;
    // The first page names the next one with an absolute Link, as some registries do; the second page ends the list.
    let next = format!(r#"<{}/v2/supabase/gotrue/tags/list?last=v2.196.0&n=2>; rel="next""#, server.uri());
    Mock::given(method("GET"))
        .and(path("/v2/supabase/gotrue/tags/list"))
        .and(query_param("n", "2"))
        .and(header("authorization", "Bearer t0k"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("link", next.as_str())
                .set_body_json(serde_json::json!({"name": "supabase/gotrue", "tags": ["v2.195.0", "v2.196.0"]})),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    let uri = server.uri();
    let tags = blocking(move || client(&uri).tags(&gotrue())).await.unwrap();
    assert_eq!(tags, ["v2.195.0", "v2.196.0", "v2.197.0"]);
}

#[tokio::test]
async fn relative_links_page_too() {
    let server = MockServer::start().await;
    Mock::given(path("/v2/supabase/gotrue/tags/list"))
        .and(query_param("last", "b"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"name": "supabase/gotrue", "tags": ["c"]})))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/v2/supabase/gotrue/tags/list"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("link", r#"</v2/supabase/gotrue/tags/list?last=b&n=2>; rel="next""#)
                .set_body_json(serde_json::json!({"name": "supabase/gotrue", "tags": ["a", "b"]})),
        )
        .mount(&server)
        .await;
    let uri = server.uri();
    assert_eq!(blocking(move || client(&uri).tags(&gotrue())).await.unwrap(), ["a", "b", "c"]);
}

#[tokio::test]
async fn a_registry_that_still_refuses_after_the_token_is_unauthorized_in_its_own_words() {
    let server = challenging_registry().await;
    let uri = server.uri();
    let err = blocking(move || client(&uri).tags(&gotrue())).await.unwrap_err();
    assert_eq!(err.failure, Failure::Unauthorized);
    let line = err.to_string();
    assert!(line.starts_with(&format!("registry {}: refused anonymous access (HTTP 401): UNAUTHORIZED authentication required", server.uri())), "{line}");
    assert!(!line.contains('\n'), "{line}");
}

#[tokio::test]
async fn rate_limiting_is_named_with_the_registry_words_and_retry_after() {
    let server = MockServer::start().await;
    let words = "You have reached your unauthenticated pull rate limit. https://www.docker.com/increase-rate-limit";
    Mock::given(path("/v2/supabase/gotrue/tags/list"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "3600")
                .set_body_json(serde_json::json!({"errors": [{"code": "TOOMANYREQUESTS", "message": words}]})),
        )
        .mount(&server)
        .await;
    let uri = server.uri();
    let err = blocking(move || client(&uri).tags(&gotrue())).await.unwrap_err();
    assert_eq!(err.failure, Failure::RateLimited);
    assert!(err.to_string().contains(&format!("rate-limited (HTTP 429): TOOMANYREQUESTS {words} (Retry-After: 3600)")), "{err}");
}

#[tokio::test]
async fn head_asks_for_indexes_first_and_returns_the_index_digest() {
    let server = MockServer::start().await;
    let index = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    Mock::given(method("HEAD"))
        .and(path("/v2/supabase/gotrue/manifests/v2.196.0"))
        .and(headers("accept", MANIFEST_ACCEPT.split(", ").collect()))
        .respond_with(
            ResponseTemplate::new(200).insert_header("docker-content-digest", index).insert_header("content-type", "application/vnd.oci.image.index.v1+json"),
        )
        .mount(&server)
        .await;
    let uri = server.uri();
    let head = blocking(move || client(&uri).manifest_head(&gotrue())).await.unwrap();
    assert_eq!((head.digest.as_str(), head.media_type.as_str()), (index, "application/vnd.oci.image.index.v1+json"));
    assert!(MANIFEST_ACCEPT.starts_with("application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json"));
}

#[test]
fn an_unreachable_registry_is_one_line_naming_it() {
    // A port nothing listens on: bind one, note it, release it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let err = RegistryClient::new(Endpoint::parse(&format!("127.0.0.1:{port}")).unwrap()).tags(&gotrue()).unwrap_err();
    assert_eq!(err.failure, Failure::Unreachable);
    assert!(err.to_string().starts_with(&format!("registry http://127.0.0.1:{port}: unreachable: ")), "{err}");
}

/// The real registry: tags pushed here are listed (paged by the registry itself with n=1), and a
/// multi-platform index made with `docker manifest` answers with the index digest, not its platform's.
#[test]
fn the_real_local_registry_lists_pushed_tags_and_index_digests() {
    let base = aiwah_harness::engine::plan::offline_tag(&aiwah_harness::repo::this_checkout(), "base").unwrap();
    let mut registry = LocalRegistry::start().unwrap();
    let single = registry.push(&base, "supabase/gotrue:v2.196.0").unwrap();
    registry.push(&base, "supabase/gotrue:v2.197.0").unwrap();
    let client = RegistryClient::new(Endpoint::parse(&registry.url()).unwrap()).with_page_size(1);
    assert_eq!(client.tags(&gotrue()).unwrap(), ["v2.196.0", "v2.197.0"]);
    assert_eq!(client.manifest_head(&gotrue()).unwrap().digest, single);

    let index_ref = format!("{}/supabase/gotrue:v2.198.0", registry.host());
    let platform_ref = format!("{}/supabase/gotrue:v2.196.0", registry.host());
    let docker = |args: &[&str]| aiwah_harness::engine::docker::docker(args).unwrap();
    docker(&["manifest", "create", "--insecure", &index_ref, &platform_ref]);
    let pushed_index = docker(&["manifest", "push", "--purge", "--insecure", &index_ref]);
    let head = client.manifest_head(&gotrue().with_tag("v2.198.0")).unwrap();
    assert_eq!(head.media_type, "application/vnd.docker.distribution.manifest.list.v2+json");
    assert_eq!(head.digest, pushed_index.trim());
    assert_ne!(head.digest, single, "the index, not the one platform it lists");
    let missing = client.manifest_head(&gotrue().with_tag("v9.9.9")).unwrap_err();
    assert_eq!(missing.failure, Failure::NotFound, "{missing}");
}
