//! The gateway's routes as the checks use them: which route, which method and body, and what Kong
//! answers (status and Kong's own message per outcome). Features name a route, a credential and an
//! outcome in words; everything HTTP lives here.
//!
//! Sources: the gateway's route table (`aiwah_harness::gateway::routes`, which the Kong config is
//! generated from) for each route's path and who passes it; Kong 3.9.3's plugins for the answers —
//! key-auth: 401 `No API key found in request` / 401 `Unauthorized` (a key it does not know); acl:
//! 403 `You cannot consume this service`; request-termination as configured: 403 `Access is
//! forbidden.`; basic-auth: 401 `Unauthorized` with `WWW-Authenticate: Basic realm="service"`.
//! Expectations per route and credential follow supabase/supabase `docker/tests/test-self-hosted.sh`
//! and `test-auth-keys.sh`.

use std::fmt;
use std::str::FromStr;

use cucumber::{then, when};
use reqwest::Method;
use serde_json::json;

use aiwah_harness::gateway::routes::{self as table, Access, KeyRole};

use crate::clients::gateway::{Answer, Gateway, Request};
use crate::steps::AiwahWorld;

#[derive(Debug, Default)]
pub struct State {
    /// What was asked and what the gateway answered.
    last: Option<(Route, Credential, Answer)>,
}

/// A route of the gateway, by what it leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// PostgREST's OpenAPI root, `/rest/v1/` exactly (its own Kong service, ACL admin only).
    RestRoot,
    AuthSettings,
    /// pg_graphql through PostgREST's `rpc/graphql`.
    GraphQl,
    /// postgres-meta under `/pg/` (ACL admin only).
    DatabaseAdmin,
    RealtimePing,
    /// Realtime's tenant management API (request-termination 403).
    RealtimeTenants,
    /// Realtime's OpenAPI document (request-termination 403).
    RealtimeOpenApi,
    /// Studio, the catch-all `/` route behind basic auth.
    Studio,
}

impl Route {
    pub const ALL: [Route; 8] = [
        Route::RestRoot,
        Route::AuthSettings,
        Route::GraphQl,
        Route::DatabaseAdmin,
        Route::RealtimePing,
        Route::RealtimeTenants,
        Route::RealtimeOpenApi,
        Route::Studio,
    ];

    /// How features name it.
    pub fn name(self) -> &'static str {
        match self {
            Route::RestRoot => "the REST root",
            Route::AuthSettings => "the auth settings",
            Route::GraphQl => "GraphQL",
            Route::DatabaseAdmin => "the database admin API",
            Route::RealtimePing => "Realtime's ping",
            Route::RealtimeTenants => "Realtime's tenant API",
            Route::RealtimeOpenApi => "Realtime's OpenAPI document",
            Route::Studio => "Studio",
        }
    }

    /// The gateway route (of the route table) this request goes through.
    pub fn gateway_route(self) -> &'static table::Route {
        table::by_name(match self {
            Route::RestRoot => "rest-v1-openapi",
            Route::AuthSettings => "auth-v1",
            Route::GraphQl => "graphql-v1",
            Route::DatabaseAdmin => "meta",
            Route::RealtimePing => "realtime-v1-rest",
            Route::RealtimeTenants => "realtime-v1-rest-tenants",
            Route::RealtimeOpenApi => "realtime-v1-rest-openapi",
            Route::Studio => "dashboard",
        })
    }

    /// The path asked for: the gateway route's path and, below it, the service's endpoint.
    pub fn path(self) -> String {
        let below = match self {
            Route::AuthSettings => "settings",
            Route::DatabaseAdmin => "tables",
            Route::RealtimePing => "ping",
            Route::RestRoot | Route::GraphQl | Route::RealtimeTenants | Route::RealtimeOpenApi | Route::Studio => "",
        };
        self.gateway_route().path_to(below)
    }

    /// The request as upstream's tests send it, before credentials.
    pub fn request(self) -> Request {
        match self {
            Route::GraphQl => Request { body: Some(json!({ "query": "{ __typename }" })), ..Request::new(Method::POST, &self.path()) },
            _ => Request::new(Method::GET, &self.path()),
        }
    }

    /// What the gateway does with `who`'s request here, as the route table guards the route (the
    /// service behind it answering 200 when it is passed on).
    pub fn expected(self, who: Credential) -> Outcome {
        let role = match who {
            Credential::AnonKey => Some(KeyRole::Anon),
            Credential::ServiceRoleKey => Some(KeyRole::ServiceRole),
            _ => None,
        };
        match (self.gateway_route().access, who) {
            (Access::Terminated, _) => Outcome::Blocked,
            (Access::Open, _) => Outcome::Served,
            (Access::DashboardLogin, Credential::DashboardLogin) => Outcome::Served,
            (Access::DashboardLogin, _) => Outcome::LoginRequired,
            (Access::Keys(_), Credential::WrongKey) => Outcome::WrongKey,
            (access @ Access::Keys(_), _) => match role {
                None => Outcome::NoKey,
                Some(role) if access.lets_pass(role) => Outcome::Served,
                Some(_) => Outcome::AclRefused,
            },
        }
    }
}

impl FromStr for Route {
    type Err = String;
    fn from_str(s: &str) -> Result<Route, String> {
        super::by_name(Route::ALL, Route::name, "gateway route", s)
    }
}

/// Who asks: which credential goes on the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    Nobody,
    /// An `apikey` no Kong consumer holds.
    WrongKey,
    AnonKey,
    ServiceRoleKey,
    /// `DASHBOARD_USERNAME` / `DASHBOARD_PASSWORD` as basic auth.
    DashboardLogin,
    WrongDashboardLogin,
}

impl Credential {
    pub const ALL: [Credential; 6] = [
        Credential::Nobody,
        Credential::WrongKey,
        Credential::AnonKey,
        Credential::ServiceRoleKey,
        Credential::DashboardLogin,
        Credential::WrongDashboardLogin,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Credential::Nobody => "nobody",
            Credential::WrongKey => "a wrong key",
            Credential::AnonKey => "the anon key",
            Credential::ServiceRoleKey => "the service role key",
            Credential::DashboardLogin => "the dashboard login",
            Credential::WrongDashboardLogin => "a wrong dashboard login",
        }
    }
}

impl FromStr for Credential {
    type Err = String;
    fn from_str(s: &str) -> Result<Credential, String> {
        super::by_name(Credential::ALL, Credential::name, "credential", s)
    }
}

/// The deployment's credentials the [`Credential`]s stand for.
#[derive(Debug, Clone)]
pub struct Keys {
    pub anon: String,
    pub service_role: String,
    pub dashboard: (String, String),
}

/// `route` asked with `who`'s credential. Keys go only in `apikey`, as upstream's tests send them:
/// Kong's request-transformer then hands the service the key itself (no bearer is added here).
pub fn request(route: Route, who: Credential, keys: &Keys) -> Request {
    let mut req = route.request();
    match who {
        Credential::Nobody => {}
        Credential::WrongKey => req.apikey = Some("not-a-key-any-consumer-holds".to_owned()),
        Credential::AnonKey => req.apikey = Some(keys.anon.clone()),
        Credential::ServiceRoleKey => req.apikey = Some(keys.service_role.clone()),
        Credential::DashboardLogin => req.login = Some(keys.dashboard.clone()),
        Credential::WrongDashboardLogin => req.login = Some((keys.dashboard.0.clone(), format!("{}-wrong", keys.dashboard.1))),
    }
    req
}

/// What the gateway does with a request, each with Kong 3.9.3's exact answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Passed on; the service answered 200.
    Served,
    /// key-auth: no `apikey` header or query parameter.
    NoKey,
    /// key-auth: a key no consumer holds.
    WrongKey,
    /// acl: the consumer's group is not allowed on this route.
    AclRefused,
    /// request-termination on the route.
    Blocked,
    /// basic-auth: no login, or a wrong one.
    LoginRequired,
}

impl Outcome {
    pub const ALL: [Outcome; 6] = [Outcome::Served, Outcome::NoKey, Outcome::WrongKey, Outcome::AclRefused, Outcome::Blocked, Outcome::LoginRequired];

    /// How features name it: words, then the status in parentheses.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Served => "served (200)",
            Outcome::NoKey => "refused for want of a key (401)",
            Outcome::WrongKey => "refused for a wrong key (401)",
            Outcome::AclRefused => "refused by the ACL (403)",
            Outcome::Blocked => "blocked (403)",
            Outcome::LoginRequired => "refused for want of a login (401)",
        }
    }

    pub fn status(self) -> u16 {
        match self {
            Outcome::Served => 200,
            Outcome::NoKey | Outcome::WrongKey | Outcome::LoginRequired => 401,
            Outcome::AclRefused | Outcome::Blocked => 403,
        }
    }

    /// The `message` Kong puts in its JSON body; `None` when the service answers.
    pub fn kong_message(self) -> Option<&'static str> {
        match self {
            Outcome::Served => None,
            Outcome::NoKey => Some("No API key found in request"),
            Outcome::WrongKey | Outcome::LoginRequired => Some("Unauthorized"),
            Outcome::AclRefused => Some("You cannot consume this service"),
            Outcome::Blocked => Some("Access is forbidden."),
        }
    }

    /// The scheme of Kong's `WWW-Authenticate` challenge: key-auth's `Key`, basic-auth's `Basic`
    /// (both say "Unauthorized" for a wrong credential; the challenge tells them apart).
    pub fn challenge(self) -> Option<&'static str> {
        match self {
            Outcome::NoKey | Outcome::WrongKey => Some("Key"),
            Outcome::LoginRequired => Some("Basic"),
            Outcome::Served | Outcome::AclRefused | Outcome::Blocked => None,
        }
    }

    /// `Ok` when `answer` is this outcome exactly: status, Kong's message and challenge.
    pub fn check(self, answer: &Answer) -> Result<(), String> {
        let wanted_challenge = self.challenge();
        let challenge = answer.www_authenticate.as_deref().map(|h| h.split_whitespace().next().unwrap_or(""));
        let status_ok = answer.status == self.status();
        let message_ok = self.kong_message().is_none_or(|m| answer.message.as_deref() == Some(m));
        let challenge_ok = wanted_challenge.is_none_or(|c| challenge == Some(c));
        if status_ok && message_ok && challenge_ok {
            Ok(())
        } else {
            Err(format!(
                "expected {} ({}), got HTTP {} message {:?} WWW-Authenticate {:?}: {}",
                self.name(),
                self.kong_message().unwrap_or("the service's answer"),
                answer.status,
                answer.message,
                answer.www_authenticate,
                answer.body.chars().take(160).collect::<String>()
            ))
        }
    }
}

impl FromStr for Outcome {
    type Err = String;
    fn from_str(s: &str) -> Result<Outcome, String> {
        super::by_name(Outcome::ALL, Outcome::name, "gateway outcome", s)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl AiwahWorld {
    pub fn gateway_keys(&self) -> Result<Keys, String> {
        let secret = |k: &str| self.suite.secret(k).map_err(|p| p.to_string());
        Ok(Keys {
            anon: secret("ANON_KEY")?,
            service_role: secret("SERVICE_ROLE_KEY")?,
            dashboard: (secret("DASHBOARD_USERNAME")?, secret("DASHBOARD_PASSWORD")?),
        })
    }
}

#[when(regex = r"^(.+) asks the gateway for (.+)$")]
async fn asks(w: &mut AiwahWorld, who: String, route: String) -> Result<(), String> {
    let (who, route): (Credential, Route) = (who.parse()?, route.parse()?);
    let answer = Gateway::new(&w.suite.gateway).send(&request(route, who, &w.gateway_keys()?)).await.map_err(|e| e.to_string())?;
    w.gateway.last = Some((route, who, answer));
    Ok(())
}

#[then(regex = r"^the gateway answers (.+)$")]
async fn answers(w: &mut AiwahWorld, outcome: String) -> Result<(), String> {
    let outcome: Outcome = outcome.parse()?;
    let (route, who, answer) = w.gateway.last.as_ref().ok_or("nothing was asked of the gateway")?;
    outcome.check(answer).map_err(|e| format!("{} ({}) asked by {}: {e}", route.name(), route.path(), who.name()))
}
