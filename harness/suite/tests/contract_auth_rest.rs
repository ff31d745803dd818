//! Contract tests for the GoTrue and PostgREST clients against wiremock stand-ins of the gateway,
//! answering with the bodies upstream sends (supabase/auth `AccessTokenResponse`, `models.User`,
//! `HTTPError`/`OAuthError`; PostgREST's `{"code","message","details","hint"}` and
//! `Content-Range`). Every mock requires the `apikey` header, so a call that drops it gets
//! wiremock's 404 and the test fails.

use aiwah_suite::clients::auth::{Auth, SignUp};
use aiwah_suite::clients::rest::{Rest, encode};
use reqwest::Method;
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const ANON: &str = "anon-key-jwt";
const SERVICE: &str = "service-role-jwt";
const USER_ID: &str = "0f3c2a4e-8d1b-4c7e-9a55-2b6f0e9d1c11";

fn no_authorization(req: &Request) -> bool {
    !req.headers.contains_key("authorization")
}

fn no_apikey(req: &Request) -> bool {
    !req.headers.contains_key("apikey")
}

fn user(id: &str, email: &str, confirmed: bool) -> Value {
    let mut u = json!({
        "id": id, "aud": "authenticated", "role": "authenticated", "email": email, "phone": "",
        "confirmation_sent_at": "2026-03-01T10:00:00.000000Z",
        "app_metadata": { "provider": "email", "providers": ["email"] },
        "user_metadata": { "email": email, "email_verified": confirmed, "phone_verified": false, "sub": id },
        "identities": [], "created_at": "2026-03-01T10:00:00.000000Z",
        "updated_at": "2026-03-01T10:00:00.000000Z", "is_anonymous": false
    });
    if confirmed {
        u["email_confirmed_at"] = json!("2026-03-01T10:00:00.100000Z");
        u["confirmed_at"] = json!("2026-03-01T10:00:00.100000Z");
        u["last_sign_in_at"] = json!("2026-03-01T10:00:00.200000Z");
    }
    u
}

fn session(access: &str, refresh: &str) -> Value {
    json!({
        "access_token": access, "token_type": "bearer", "expires_in": 3600, "expires_at": 1772362800u64,
        "refresh_token": refresh, "user": user(USER_ID, "ada@example.test", true)
    })
}

#[tokio::test]
async fn sign_up_with_autoconfirm_returns_a_session() {
    let gw = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth/v1/signup"))
        .and(header("apikey", ANON))
        .and(no_authorization)
        .and(body_json(json!({ "email": "ada@example.test", "password": "pw-Secret-1" })))
        .respond_with(ResponseTemplate::new(200).set_body_json(session("at-1", "rt-1")))
        .expect(1)
        .mount(&gw)
        .await;
    let SignUp::Session(s) = Auth::new(&gw.uri(), ANON).sign_up("ada@example.test", "pw-Secret-1").await.unwrap() else {
        panic!("expected a session");
    };
    assert_eq!((s.access_token.as_str(), s.refresh_token.as_str(), s.token_type.as_str()), ("at-1", "rt-1", "bearer"));
    assert_eq!((s.expires_in, s.expires_at), (3600, Some(1772362800)));
    assert_eq!(s.user.id, USER_ID);
    assert!(s.user.email_confirmed_at.is_some());
    assert!(!format!("{s:?}").contains("at-1"), "Debug must not print tokens");
}

#[tokio::test]
async fn sign_up_without_autoconfirm_returns_the_unconfirmed_user() {
    let gw = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth/v1/signup"))
        .and(header("apikey", ANON))
        .respond_with(ResponseTemplate::new(200).set_body_json(user(USER_ID, "bob@example.test", false)))
        .expect(1)
        .mount(&gw)
        .await;
    let SignUp::User(u) = Auth::new(&gw.uri(), ANON).sign_up("bob@example.test", "pw-Secret-1").await.unwrap() else {
        panic!("expected a user");
    };
    assert_eq!(u.email.as_deref(), Some("bob@example.test"));
    assert_eq!(u.aud.as_deref(), Some("authenticated"));
    assert_eq!(u.email_confirmed_at, None);
    assert_eq!(u.app_metadata["provider"], "email");
}

#[tokio::test]
async fn password_grant_returns_a_session() {
    let gw = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth/v1/token"))
        .and(query_param("grant_type", "password"))
        .and(header("apikey", ANON))
        .and(no_authorization)
        .and(body_json(json!({ "email": "ada@example.test", "password": "pw-Secret-1" })))
        .respond_with(ResponseTemplate::new(200).set_body_json(session("at-2", "rt-2")))
        .expect(1)
        .mount(&gw)
        .await;
    let s = Auth::new(&gw.uri(), ANON).sign_in_with_password("ada@example.test", "pw-Secret-1").await.unwrap();
    assert_eq!(s.access_token, "at-2");
    assert_eq!(s.user.role.as_deref(), Some("authenticated"));
}

#[tokio::test]
async fn password_grant_refusal_maps_error_code_and_hides_the_password() {
    let gw = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth/v1/token"))
        .and(query_param("grant_type", "password"))
        .and(header("apikey", ANON))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({ "code": 400, "error_code": "invalid_credentials", "msg": "Invalid login credentials" })))
        .expect(1)
        .mount(&gw)
        .await;
    let err = Auth::new(&gw.uri(), ANON).sign_in_with_password("ada@example.test", "pw-Wrong-9").await.unwrap_err();
    assert_eq!(err.status, 400);
    assert_eq!(err.code.as_deref(), Some("invalid_credentials"));
    assert_eq!(err.message, "Invalid login credentials");
    assert_eq!(err.request, "POST /auth/v1/token?grant_type=password");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("pw-Wrong-9") && !shown.contains(ANON), "secret leaked: {shown}");
}

#[tokio::test]
async fn refresh_grant_rotates_the_tokens() {
    let gw = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth/v1/token"))
        .and(query_param("grant_type", "refresh_token"))
        .and(header("apikey", ANON))
        .and(body_json(json!({ "refresh_token": "rt-old" })))
        .respond_with(ResponseTemplate::new(200).set_body_json(session("at-new", "rt-new")))
        .expect(1)
        .mount(&gw)
        .await;
    let s = Auth::new(&gw.uri(), ANON).refresh("rt-old").await.unwrap();
    assert_eq!((s.access_token.as_str(), s.refresh_token.as_str()), ("at-new", "rt-new"));
}

#[tokio::test]
async fn oauth_style_error_maps_error_and_description() {
    let gw = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth/v1/token"))
        .and(query_param("grant_type", "refresh_token"))
        .and(header("apikey", ANON))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({ "error": "invalid_grant", "error_description": "Invalid Refresh Token: Refresh Token Not Found" })),
        )
        .expect(1)
        .mount(&gw)
        .await;
    let err = Auth::new(&gw.uri(), ANON).refresh("rt-gone").await.unwrap_err();
    assert_eq!((err.status, err.code.as_deref()), (400, Some("invalid_grant")));
    assert_eq!(err.message, "Invalid Refresh Token: Refresh Token Not Found");
    assert!(!format!("{err}").contains("rt-gone"));
}

#[tokio::test]
async fn user_and_logout_send_the_access_token() {
    let gw = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/auth/v1/user"))
        .and(header("apikey", ANON))
        .and(header("authorization", "Bearer at-3"))
        .respond_with(ResponseTemplate::new(200).set_body_json(user(USER_ID, "ada@example.test", true)))
        .expect(1)
        .mount(&gw)
        .await;
    Mock::given(method("POST"))
        .and(path("/auth/v1/logout"))
        .and(header("apikey", ANON))
        .and(header("authorization", "Bearer at-3"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&gw)
        .await;
    let auth = Auth::new(&gw.uri(), ANON);
    assert_eq!(auth.user("at-3").await.unwrap().id, USER_ID);
    auth.logout("at-3").await.unwrap();
}

#[tokio::test]
async fn admin_create_list_delete_use_the_service_bearer() {
    let gw = MockServer::start().await;
    let bearer = format!("Bearer {SERVICE}");
    Mock::given(method("POST"))
        .and(path("/auth/v1/admin/users"))
        .and(header("apikey", ANON))
        .and(header("authorization", bearer.as_str()))
        .and(body_json(json!({ "email": "cy@example.test", "password": "pw-Secret-1", "email_confirm": true })))
        .respond_with(ResponseTemplate::new(200).set_body_json(user(USER_ID, "cy@example.test", true)))
        .expect(1)
        .mount(&gw)
        .await;
    // Two pages: a full one, then a short one that ends the listing.
    let full: Vec<Value> = (0..100).map(|i| user(&format!("id-{i}"), &format!("u{i}@example.test"), true)).collect();
    for (page, users) in [("1", full), ("2", vec![user(USER_ID, "cy@example.test", true)])] {
        Mock::given(method("GET"))
            .and(path("/auth/v1/admin/users"))
            .and(query_param("page", page))
            .and(query_param("per_page", "100"))
            .and(header("apikey", ANON))
            .and(header("authorization", bearer.as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "aud": "authenticated", "users": users })))
            .expect(1)
            .mount(&gw)
            .await;
    }
    Mock::given(method("DELETE"))
        .and(path(format!("/auth/v1/admin/users/{USER_ID}")))
        .and(header("apikey", ANON))
        .and(header("authorization", bearer.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&gw)
        .await;

    let auth = Auth::new(&gw.uri(), ANON);
    let created = auth.admin_create_user(SERVICE, "cy@example.test", "pw-Secret-1", true).await.unwrap();
    assert_eq!(created.email.as_deref(), Some("cy@example.test"));
    let users = auth.admin_list_users(SERVICE).await.unwrap();
    assert_eq!(users.len(), 101);
    assert_eq!(users[100].id, USER_ID);
    auth.admin_delete_user(SERVICE, USER_ID).await.unwrap();
}

#[tokio::test]
async fn admin_call_with_a_user_token_maps_not_admin() {
    let gw = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/auth/v1/admin/users"))
        .and(header("apikey", ANON))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({ "code": 403, "error_code": "not_admin", "msg": "User not allowed" })))
        .expect(1)
        .mount(&gw)
        .await;
    let err = Auth::new(&gw.uri(), ANON).admin_list_users("at-user").await.unwrap_err();
    assert_eq!((err.status, err.code.as_deref(), err.message.as_str()), (403, Some("not_admin"), "User not allowed"));
}

#[tokio::test]
async fn a_call_without_the_expected_apikey_does_not_match() {
    let gw = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/auth/v1/user"))
        .and(header("apikey", ANON))
        .respond_with(ResponseTemplate::new(200).set_body_json(user(USER_ID, "ada@example.test", true)))
        .expect(0)
        .mount(&gw)
        .await;
    let err = Auth::new(&gw.uri(), "some-other-key").user("at-3").await.unwrap_err();
    assert_eq!(err.status, 404, "wiremock's no-match answer");
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

#[tokio::test]
async fn raw_request_returns_refusals_as_status_and_body() {
    let gw = MockServer::start().await;
    let denied = r#"{"message":"You cannot consume this service"}"#;
    Mock::given(method("GET"))
        .and(path("/pg/tables"))
        .and(header("apikey", ANON))
        .and(no_authorization)
        .respond_with(ResponseTemplate::new(403).set_body_raw(denied, "application/json"))
        .expect(1)
        .mount(&gw)
        .await;
    Mock::given(method("GET"))
        .and(path("/realtime/v1/api/tenants"))
        .and(no_apikey)
        .respond_with(ResponseTemplate::new(401).set_body_raw(r#"{"message":"No API key found in request"}"#, "application/json"))
        .expect(1)
        .mount(&gw)
        .await;
    let rest = Rest::new(&gw.uri(), SERVICE);
    assert_eq!(rest.request(Method::GET, "/pg/tables", None, Some(ANON)).await.unwrap(), (403, denied.to_owned()));
    let (status, body) = rest.request(Method::GET, "realtime/v1/api/tenants", None, None).await.unwrap();
    assert_eq!(status, 401);
    assert!(body.contains("No API key found"));
}

#[test]
fn encode_keeps_unreserved_and_escapes_the_rest() {
    assert_eq!(encode("a-b_c.d~9"), "a-b_c.d~9");
    assert_eq!(encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
}
