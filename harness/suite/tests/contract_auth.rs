//! Contract tests for the GoTrue client and the auth steps' logic.
//!
//! Request and body shapes: wiremock stand-ins of the gateway answering with the bodies upstream
//! sends (supabase/auth v2.196.0 `AccessTokenResponse`, `models.User`, `apierrors.HTTPError`
//! `{"code","error_code","msg"}`, `OAuthError`). Every mock requires the `apikey` header, so a call
//! that drops it gets wiremock's 404 and the test fails.
//!
//! Behaviour: `support/gotrue_fake.rs`, a stateful GoTrue with upstream's refresh-token, logout
//! and admin rules, drives the steps' own [`RefreshChain`] and checks.

#[path = "support/gotrue_fake.rs"]
mod gotrue;

use aiwah_suite::clients::auth::{Auth, SignUp};
use aiwah_suite::steps::auth::{Answered, RefreshChain, Which, check_refused};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const ANON: &str = "anon-key-jwt";
const SERVICE: &str = "service-role-jwt";
const USER_ID: &str = "0f3c2a4e-8d1b-4c7e-9a55-2b6f0e9d1c11";

fn no_authorization(req: &Request) -> bool {
    !req.headers.contains_key("authorization")
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

const ADA: (&str, &str) = ("ada@example.test", "pw-Secret-1");

async fn signed_in(reuse_interval: std::time::Duration) -> (MockServer, Auth, RefreshChain, String) {
    let (gw, _) = gotrue::GoTrue::start(reuse_interval, &[ADA]).await;
    let auth = Auth::new(&gw.uri(), gotrue::ANON);
    let session = auth.sign_in_with_password(ADA.0, ADA.1).await.unwrap();
    (gw, auth, RefreshChain::new(&session), session.access_token)
}

#[tokio::test]
async fn refresh_reuse_follows_gotrue_at_the_pinned_interval() {
    let (_gw, auth, mut chain, _) = signed_in(gotrue::pinned_reuse_interval()).await;
    chain.rotate(&auth).await.unwrap();
    chain.check_rotated().unwrap();
    // The parent of the active token: answered 200 with the active token, nothing new issued.
    let again = chain.refresh_with(&auth, Which::First).await;
    chain.check_answered_with_newest(&again).unwrap();
    chain.rotate(&auth).await.unwrap();
    chain.check_rotated().unwrap();
    // Two rotations old: reuse. Refused, and the newest token is revoked with it.
    let reused = chain.refresh_with(&auth, Which::First).await;
    assert_eq!(reused.as_ref().unwrap_err().message, "Invalid Refresh Token: Already Used");
    let reused = reused.map(Answered::Session);
    check_refused(Some(&reused), 400, "refresh_token_already_used").unwrap();
    // The code is what tells reuse from a token that is gone.
    assert!(check_refused(Some(&reused), 400, "refresh_token_not_found").is_err());
    let newest = chain.refresh_with(&auth, Which::Newest).await.map(Answered::Session);
    check_refused(Some(&newest), 400, "refresh_token_already_used").unwrap();
}

#[tokio::test]
async fn the_reuse_checks_fail_when_gotrue_allows_reuse() {
    // Inside a reuse interval GoTrue swaps a two-rotations-old token like a live one: the checks
    // that expect a refusal (or the active token) must say so, not pass.
    let (_gw, auth, mut chain, _) = signed_in(std::time::Duration::from_secs(600)).await;
    chain.rotate(&auth).await.unwrap();
    chain.rotate(&auth).await.unwrap();
    let reused = chain.refresh_with(&auth, Which::First).await;
    let err = chain.check_answered_with_newest(&reused).unwrap_err();
    assert!(err.contains("never had"), "{err}");
    let err = check_refused(Some(&reused.map(Answered::Session)), 400, "refresh_token_already_used").unwrap_err();
    assert!(err.starts_with("GoTrue answered with a session"), "{err}");
}

#[tokio::test]
async fn a_rotation_that_returns_the_same_token_is_not_a_rotation() {
    let gw = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth/v1/token"))
        .and(query_param("grant_type", "refresh_token"))
        .and(header("apikey", ANON))
        .respond_with(ResponseTemplate::new(200).set_body_json(session("at-2", "rt-1")))
        .mount(&gw)
        .await;
    let auth = Auth::new(&gw.uri(), ANON);
    let first: aiwah_suite::clients::auth::Session = serde_json::from_value(session("at-1", "rt-1")).unwrap();
    let mut chain = RefreshChain::new(&first);
    chain.rotate(&auth).await.unwrap();
    assert!(chain.check_rotated().unwrap_err().contains("did not rotate"));
}

#[tokio::test]
async fn signing_out_ends_the_session_and_its_refresh_tokens() {
    let (_gw, auth, chain, access) = signed_in(gotrue::pinned_reuse_interval()).await;
    // Positive control: before logout both work.
    assert_eq!(auth.user(&access).await.unwrap().email.as_deref(), Some(ADA.0));
    auth.logout(&access).await.unwrap();
    let refreshed = chain.refresh_with(&auth, Which::Newest).await.map(Answered::Session);
    check_refused(Some(&refreshed), 400, "refresh_token_not_found").unwrap();
    assert!(check_refused(Some(&refreshed), 400, "refresh_token_already_used").is_err());
    let who = auth.user(&access).await.map(Answered::User);
    check_refused(Some(&who), 403, "session_not_found").unwrap();
}

#[tokio::test]
async fn the_anon_key_as_bearer_is_not_admin() {
    let (gw, _) = gotrue::GoTrue::start(gotrue::pinned_reuse_interval(), &[ADA]).await;
    let auth = Auth::new(&gw.uri(), gotrue::ANON);
    assert_eq!(auth.admin_list_users(gotrue::SERVICE).await.unwrap().len(), 1, "positive control: the service role lists users");
    let listed = auth.admin_list_users(gotrue::ANON).await.map(|u| Answered::Users(u.len()));
    check_refused(Some(&listed), 403, "not_admin").unwrap();
    assert!(check_refused(Some(&listed), 401, "no_authorization").is_err());
}
