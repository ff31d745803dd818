//! Contract tests for the PostgREST client, and for the bad-JWT steps against PostgREST's rules.
//!
//! Client shapes: wiremock stand-ins of the gateway answering with PostgREST's bodies
//! (`{"code","message","details","hint"}`, `Content-Range`); every mock requires the `apikey`
//! header, so a call that drops it gets wiremock's 404 and the test fails.
//!
//! Bad JWTs: `support/kong_fake.rs` puts Kong's key-auth in front of PostgREST v14.17's JWT
//! checks; the steps' own token builder, sender and check must meet PostgREST's refusal there.

#[path = "support/kong_fake.rs"]
mod kong;

use aiwah_suite::clients::rest::{Rest, encode};
use aiwah_suite::steps::security::{BadJwt, check_postgrest_refusal, send_bad_jwt};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const ANON: &str = "anon-key-jwt";
const USER_ID: &str = "0f3c2a4e-8d1b-4c7e-9a55-2b6f0e9d1c11";

fn no_authorization(req: &Request) -> bool {
    !req.headers.contains_key("authorization")
}

#[tokio::test]
async fn select_with_bearer_returns_rows() {
    let gw = MockServer::start().await;
    let rows = json!([{ "id": 1, "user_id": USER_ID, "body": "hello" }, { "id": 2, "user_id": USER_ID, "body": "again" }]);
    Mock::given(method("GET"))
        .and(path("/rest/v1/notes"))
        .and(query_param("select", "id,body"))
        .and(query_param("user_id", format!("eq.{USER_ID}")))
        .and(header("apikey", ANON))
        .and(header("authorization", "Bearer user-jwt"))
        .respond_with(ResponseTemplate::new(200).set_body_json(rows.clone()))
        .expect(1)
        .mount(&gw)
        .await;
    let got = Rest::new(&gw.uri(), ANON).select("notes", &format!("select=id,body&user_id=eq.{}", encode(USER_ID)), Some("user-jwt")).await.unwrap();
    assert_eq!(Value::Array(got), rows);
}

#[tokio::test]
async fn select_without_bearer_sends_only_the_apikey() {
    let gw = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/v1/notes"))
        .and(header("apikey", ANON))
        .and(no_authorization)
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&gw)
        .await;
    assert!(Rest::new(&gw.uri(), ANON).select("notes", "select=*", None).await.unwrap().is_empty());
}

#[tokio::test]
async fn insert_asks_for_representation() {
    let gw = MockServer::start().await;
    let row = json!({ "user_id": USER_ID, "body": "hello" });
    Mock::given(method("POST"))
        .and(path("/rest/v1/notes"))
        .and(header("apikey", ANON))
        .and(header("authorization", "Bearer user-jwt"))
        .and(header("prefer", "return=representation"))
        .and(body_json(row.clone()))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!([{ "id": 7, "user_id": USER_ID, "body": "hello" }])))
        .expect(1)
        .mount(&gw)
        .await;
    let got = Rest::new(&gw.uri(), ANON).insert("notes", &row, Some("user-jwt")).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["id"], 7);
}

#[tokio::test]
async fn rls_refusal_maps_42501() {
    let gw = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/v1/notes"))
        .and(header("apikey", ANON))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "code": "42501", "details": null, "hint": null,
            "message": "new row violates row-level security policy for table \"notes\"" })))
        .expect(1)
        .mount(&gw)
        .await;
    let err = Rest::new(&gw.uri(), ANON).insert("notes", &json!({ "user_id": "someone-else" }), Some("user-jwt")).await.unwrap_err();
    assert_eq!((err.status, err.code.as_deref()), (403, Some("42501")));
    assert_eq!(err.message, "new row violates row-level security policy for table \"notes\"");
    assert_eq!(err.request, "POST /rest/v1/notes");
}

#[tokio::test]
async fn bad_jwt_maps_pgrst301() {
    let gw = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/v1/notes"))
        .and(header("apikey", ANON))
        .and(header("authorization", "Bearer not-a-jwt"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({ "code": "PGRST301", "details": null, "hint": null, "message": "Expected 3 parts in JWT; got 1" })),
        )
        .expect(1)
        .mount(&gw)
        .await;
    let err = Rest::new(&gw.uri(), ANON).select("notes", "select=*", Some("not-a-jwt")).await.unwrap_err();
    assert_eq!((err.status, err.code.as_deref()), (401, Some("PGRST301")));
    assert_eq!(err.message, "Expected 3 parts in JWT; got 1");
    assert!(!format!("{err}").contains("not-a-jwt"));
}

#[tokio::test]
async fn update_and_delete_return_the_affected_rows() {
    let gw = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path("/rest/v1/notes"))
        .and(query_param("id", "eq.7"))
        .and(header("apikey", ANON))
        .and(header("prefer", "return=representation"))
        .and(body_json(json!({ "body": "edited" })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&gw)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/rest/v1/notes"))
        .and(query_param("id", "eq.7"))
        .and(header("apikey", ANON))
        .and(header("prefer", "return=representation"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{ "id": 7 }])))
        .expect(1)
        .mount(&gw)
        .await;
    let rest = Rest::new(&gw.uri(), ANON);
    assert!(rest.update("notes", "id=eq.7", &json!({ "body": "edited" }), Some("user-jwt")).await.unwrap().is_empty());
    assert_eq!(rest.delete("notes", "id=eq.7", Some("user-jwt")).await.unwrap(), vec![json!({ "id": 7 })]);
}

#[tokio::test]
async fn count_reads_the_content_range_total() {
    let gw = MockServer::start().await;
    for (table, status, range, rows) in [("notes", 206, "0-0/5", json!([{ "id": 1 }])), ("empty", 200, "*/0", json!([]))] {
        Mock::given(method("GET"))
            .and(path(format!("/rest/v1/{table}")))
            .and(header("apikey", ANON))
            .and(header("prefer", "count=exact"))
            .and(header("range", "0-0"))
            .respond_with(ResponseTemplate::new(status).insert_header("content-range", range).set_body_json(rows))
            .expect(1)
            .mount(&gw)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/rest/v1/uncounted"))
        .and(header("apikey", ANON))
        .respond_with(ResponseTemplate::new(200).insert_header("content-range", "0-0/*").set_body_json(json!([{ "id": 1 }])))
        .mount(&gw)
        .await;
    let rest = Rest::new(&gw.uri(), ANON);
    assert_eq!(rest.count("notes", "select=id", Some("user-jwt")).await.unwrap(), 5);
    assert_eq!(rest.count("empty", "", None).await.unwrap(), 0);
    assert!(rest.count("uncounted", "", None).await.is_err());
}

#[test]
fn encode_keeps_unreserved_and_escapes_the_rest() {
    assert_eq!(encode("a-b_c.d~9"), "a-b_c.d~9");
    assert_eq!(encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
}

#[tokio::test]
async fn bad_jwts_pass_the_gateway_and_postgrest_refuses_them_in_its_words() {
    let gw = kong::start().await;
    let rest = Rest::new(&gw.uri(), kong::ANON);
    let now = aiwah_harness::secrets::keys::now();
    // Positive control: a token signed with the deployment's secret is served.
    let good = kong::signed(&json!({ "role": "authenticated", "exp": now + 3600 }));
    assert!(rest.select("todos", "select=id", Some(&good)).await.unwrap().is_empty());
    for (kind, code) in [(BadJwt::Forged, "PGRST301"), (BadJwt::Expired, "PGRST303"), (BadJwt::Unsigned, "PGRST301")] {
        let refused = send_bad_jwt(&rest, &kind.token(kong::JWT_SECRET, now)).await.unwrap();
        check_postgrest_refusal(kind, &refused, 401, code).unwrap_or_else(|e| panic!("{e}"));
        // Each kind is refused for its own reason, not another kind's.
        let others = BadJwt::ALL.into_iter().filter(|k| *k != kind && k.postgrest_message() != kind.postgrest_message());
        for other in others {
            assert!(check_postgrest_refusal(other, &refused, 401, code).is_err(), "{kind:?} passed as {other:?}");
        }
    }
}

#[tokio::test]
async fn kongs_refusal_is_not_taken_for_postgrests() {
    // A bad bearer with a key Kong does not know never reaches PostgREST: 401 from key-auth, no code.
    let gw = kong::start().await;
    let rest = Rest::new(&gw.uri(), "a-key-no-consumer-holds");
    let now = aiwah_harness::secrets::keys::now();
    let refused = send_bad_jwt(&rest, &BadJwt::Forged.token(kong::JWT_SECRET, now)).await.unwrap();
    assert_eq!((refused.status, refused.code.as_deref(), refused.message.as_str()), (401, None, "Unauthorized"));
    assert!(check_postgrest_refusal(BadJwt::Forged, &refused, 401, "PGRST301").is_err());
}
