//! Contract tests for the gateway client and the gateway steps' route table.
//!
//! The client: wiremock checks it sends exactly the credentials asked for and reads Kong's answer.
//! The table: every gateway row of `features/*.feature` (who asks for which route, what the
//! gateway answers) is run through the steps' own request builder and outcome check against
//! `support/kong_fake.rs` — upstream kong.yml's routes with Kong 3.9.3's answers — so a wrong path, a
//! credential sent the wrong way, or an outcome upstream does not give fails here. The gateway's
//! route table (which the Kong config is generated from) must predict every feature row, and its
//! prediction for every route and credential must be what the fake answers.

#[path = "support/kong_fake.rs"]
mod kong;

use std::path::Path;

use aiwah_suite::clients::gateway::{Gateway, Request};
use aiwah_suite::steps::gateway::{Credential, Keys, Outcome, Route, request};
use cucumber::gherkin::{Feature, GherkinEnv};
use reqwest::Method;
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn keys() -> Keys {
    Keys { anon: kong::ANON.into(), service_role: kong::SERVICE.into(), dashboard: (kong::DASHBOARD.0.into(), kong::DASHBOARD.1.into()) }
}

/// (feature:line, who, route, outcome) of every "asks the gateway for" / "the gateway answers" pair.
fn feature_rows() -> Vec<(String, String, String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../features");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "feature")).collect();
    files.sort();
    let mut rows = Vec::new();
    for file in files {
        let feature = Feature::parse_path(&file, GherkinEnv::default()).unwrap();
        let feature = cucumber::feature::Ext::expand_examples(feature).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        for scenario in feature.scenarios.iter().chain(feature.rules.iter().flat_map(|r| &r.scenarios)) {
            let mut asked: Option<(String, String)> = None;
            for step in &scenario.steps {
                if let Some((who, route)) = step.value.split_once(" asks the gateway for ") {
                    asked = Some((who.to_owned(), route.to_owned()));
                } else if let Some(outcome) = step.value.strip_prefix("the gateway answers ") {
                    let (who, route) = asked.clone().unwrap_or_else(|| panic!("{name}:{}: an answer with nothing asked", step.position.line));
                    rows.push((format!("{name}:{}", scenario.position.line), who, route, outcome.to_owned()));
                }
            }
        }
    }
    rows
}

#[tokio::test]
async fn every_gateway_row_of_the_features_is_what_kong_answers() {
    let gw = kong::start().await;
    let gateway = Gateway::new(&gw.uri());
    let rows = feature_rows();
    let mut failures = Vec::new();
    for (at, who, route, outcome) in &rows {
        let (who, route, outcome): (Credential, Route, Outcome) = (who.parse().unwrap(), route.parse().unwrap(), outcome.parse().unwrap());
        let answer = gateway.send(&request(route, who, &keys())).await.unwrap();
        if let Err(e) = outcome.check(&answer) {
            failures.push(format!("{at}: {} by {}: {e}", route.name(), who.name()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every route is checked somewhere, each refusal next to a request the same route serves.
    for route in Route::ALL {
        let outcomes: Vec<&str> = rows.iter().filter(|r| r.2 == route.name()).map(|r| r.3.as_str()).collect();
        assert!(!outcomes.is_empty(), "no feature asks the gateway for {}", route.name());
        let blocked_outright = outcomes.iter().all(|o| *o == Outcome::Blocked.name());
        assert!(blocked_outright || outcomes.contains(&Outcome::Served.name()), "{}: refusals without a served control", route.name());
    }
    assert!(rows.len() >= 21, "only {} gateway rows found in the features", rows.len());
}

#[test]
fn every_gateway_row_of_the_features_is_what_the_route_table_predicts() {
    let rows = feature_rows();
    let wrong: Vec<String> = rows
        .iter()
        .filter_map(|(at, who, route, outcome)| {
            let (who, route, outcome): (Credential, Route, Outcome) = (who.parse().unwrap(), route.parse().unwrap(), outcome.parse().unwrap());
            let predicted = route.expected(who);
            (predicted != outcome).then(|| format!("{at}: {} by {}: the feature says {outcome}, the route table {predicted}", route.name(), who.name()))
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(rows.len() >= 21, "only {} gateway rows found in the features", rows.len());
}

#[tokio::test]
async fn the_route_tables_predictions_are_what_kong_answers_for_every_route_and_credential() {
    // The fake is written from upstream's kong.yml independently of the table: they must agree.
    let gw = kong::start().await;
    let gateway = Gateway::new(&gw.uri());
    let mut wrong = Vec::new();
    for route in Route::ALL {
        for who in Credential::ALL {
            let answer = gateway.send(&request(route, who, &keys())).await.unwrap();
            if let Err(e) = route.expected(who).check(&answer) {
                wrong.push(format!("{} ({}) by {}: {e}", route.name(), route.path(), who.name()));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn outcomes_tell_kongs_refusals_apart() {
    let gw = kong::start().await;
    let gateway = Gateway::new(&gw.uri());
    let ask = async |route, who| gateway.send(&request(route, who, &keys())).await.unwrap();
    let no_key = ask(Route::RestRoot, Credential::Nobody).await;
    let wrong_key = ask(Route::RestRoot, Credential::WrongKey).await;
    let acl = ask(Route::RestRoot, Credential::AnonKey).await;
    let login = ask(Route::Studio, Credential::Nobody).await;
    let blocked = ask(Route::RealtimeTenants, Credential::ServiceRoleKey).await;
    for (answer, is) in [
        (&no_key, Outcome::NoKey),
        (&wrong_key, Outcome::WrongKey),
        (&acl, Outcome::AclRefused),
        (&login, Outcome::LoginRequired),
        (&blocked, Outcome::Blocked),
    ] {
        is.check(answer).unwrap();
        for other in Outcome::ALL.into_iter().filter(|o| *o != is) {
            assert!(other.check(answer).is_err(), "{answer:?} passed as {other} as well as {is}");
        }
    }
}

#[tokio::test]
async fn credentials_go_where_upstream_sends_them() {
    let k = keys();
    let service = request(Route::DatabaseAdmin, Credential::ServiceRoleKey, &k);
    assert_eq!(
        (service.method.clone(), service.path.as_str(), service.apikey.as_deref(), service.bearer.as_deref()),
        (Method::GET, "/pg/tables", Some(kong::SERVICE), None)
    );
    let studio = request(Route::Studio, Credential::DashboardLogin, &k);
    assert_eq!((studio.apikey, studio.login), (None, Some((kong::DASHBOARD.0.to_owned(), kong::DASHBOARD.1.to_owned()))));
    let wrong = request(Route::Studio, Credential::WrongDashboardLogin, &k);
    assert_ne!(wrong.login, Some((kong::DASHBOARD.0.to_owned(), kong::DASHBOARD.1.to_owned())));
    let graphql = request(Route::GraphQl, Credential::Nobody, &k);
    assert_eq!((graphql.method, graphql.apikey, graphql.body), (Method::POST, None, Some(json!({ "query": "{ __typename }" }))));
}

#[tokio::test]
async fn the_client_sends_exactly_the_credentials_given() {
    let gw = MockServer::start().await;
    let denied = "{\n  \"message\":\"You cannot consume this service\",\n  \"request_id\":\"abc\"\n}";
    Mock::given(method("GET"))
        .and(path("/pg/tables"))
        .and(header("apikey", "the-key"))
        .and(header("accept", "application/json"))
        .and(|r: &wiremock::Request| !r.headers.contains_key("authorization"))
        .respond_with(ResponseTemplate::new(403).set_body_raw(denied, "application/json"))
        .expect(1)
        .mount(&gw)
        .await;
    Mock::given(method("POST"))
        .and(path("/graphql/v1"))
        .and(header("authorization", "Bearer a-token"))
        .and(body_json(json!({ "query": "{ __typename }" })))
        .and(|r: &wiremock::Request| !r.headers.contains_key("apikey"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("WWW-Authenticate", "Key")
                .set_body_raw("{\"message\":\"No API key found in request\"}", "application/json"),
        )
        .expect(1)
        .mount(&gw)
        .await;
    Mock::given(method("GET"))
        .and(path("/"))
        .and(header("authorization", "Basic dTpw"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("<html></html>", "text/html"))
        .expect(1)
        .mount(&gw)
        .await;
    let gateway = Gateway::new(&gw.uri());
    let acl = gateway.send(&Request { apikey: Some("the-key".into()), ..Request::new(Method::GET, "/pg/tables") }).await.unwrap();
    assert_eq!((acl.status, acl.message.as_deref(), acl.body.as_str()), (403, Some("You cannot consume this service"), denied));
    let gql = Request { bearer: Some("a-token".into()), body: Some(json!({ "query": "{ __typename }" })), ..Request::new(Method::POST, "graphql/v1") };
    let no_key = gateway.send(&gql).await.unwrap();
    assert_eq!((no_key.status, no_key.www_authenticate.as_deref()), (401, Some("Key")));
    let studio = gateway.send(&Request { login: Some(("u".into(), "p".into())), ..Request::new(Method::GET, "/") }).await.unwrap();
    assert_eq!((studio.status, studio.message), (200, None));
}

#[tokio::test]
async fn a_transport_failure_is_an_error_naming_the_path_not_the_query() {
    // A port nothing listens on any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let err = Gateway::new(&format!("http://127.0.0.1:{port}")).send(&Request::new(Method::GET, "/rest/v1/?apikey=secret-key")).await.unwrap_err();
    assert_eq!((err.status, err.request.as_str()), (0, "GET /rest/v1/"));
    assert!(!err.to_string().contains("secret-key"), "{err}");
}
