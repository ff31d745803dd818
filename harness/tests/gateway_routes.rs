//! Every route Supabase's self-hosting gateway exposes is in the generated configs with the same
//! protection, written here as a list of facts from upstream's `docker/volumes/api/kong.yml` for
//! Kong 3.9 (supabase/supabase at 1f37f2a9) independently of the route table: a route that goes
//! missing, moves, or loses or gains a guard fails here.

#[path = "support/kong_schema.rs"]
mod kong_schema;

use std::collections::BTreeMap;

use aiwah_harness::gateway::kong::KeySet;
use aiwah_harness::gateway::routes::{Access, KeyRole, ROUTES, by_name};
use kong_schema::{Config, Plugin};

/// A route's guard as its plugins give it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Guard {
    /// No key-auth, basic-auth or termination.
    Open,
    /// key-auth, then the ACL allowing these groups.
    Keys(Vec<&'static str>),
    /// basic-auth (the dashboard login).
    Login,
    /// request-termination with this status.
    Terminated(u16),
    /// A mix of guards no upstream route has (e.g. an ACL without key-auth).
    Unlike(String),
}

use Guard::{Login, Open, Terminated};

fn keys(groups: &[&'static str]) -> Guard {
    Guard::Keys(groups.to_vec())
}

/// (path, upstream url, guard, cors) as upstream's self-hosting gateway has them.
fn upstream_facts() -> Vec<(&'static str, &'static str, Guard, bool)> {
    let both = ["admin", "anon"];
    vec![
        ("/auth/v1/verify", "http://auth:9999/verify", Open, true),
        ("/auth/v1/callback", "http://auth:9999/callback", Open, true),
        ("/auth/v1/authorize", "http://auth:9999/authorize", Open, true),
        ("/auth/v1/.well-known/jwks.json", "http://auth:9999/.well-known/jwks.json", Open, true),
        ("/auth/v1/sso/saml/acs", "http://auth:9999/sso/saml/acs", Open, true),
        ("/auth/v1/sso/saml/metadata", "http://auth:9999/sso/saml/metadata", Open, true),
        ("/auth/v1/", "http://auth:9999/", keys(&both), true),
        ("=/rest/v1/", "http://rest:3000/", keys(&["admin"]), true),
        ("/rest/v1/", "http://rest:3000/", keys(&both), true),
        ("/graphql/v1", "http://rest:3000/rpc/graphql", keys(&both), true),
        ("/realtime/v1/", "http://realtime-dev.supabase-realtime:4000/socket", keys(&both), true),
        ("/realtime/v1/api/openapi", "http://realtime-dev.supabase-realtime:4000/api/openapi", Terminated(403), false),
        ("/realtime/v1/api/tenants", "http://realtime-dev.supabase-realtime:4000/api/tenants", Terminated(403), false),
        ("/realtime/v1/api", "http://realtime-dev.supabase-realtime:4000/api", keys(&both), true),
        ("/storage/v1/", "http://storage:5000/", Open, true),
        ("/functions/v1/", "http://functions:9000/", Open, true),
        ("${WELL_KNOWN_OAUTH_PATH}", "http://auth:9999/.well-known/oauth-authorization-server", Open, true),
        ("/pg/", "http://meta:8080/", keys(&["admin"]), false),
        ("/api/mcp", "http://studio:3000/api/mcp", Terminated(403), false),
        ("/mcp", "http://studio:3000/api/mcp", Terminated(403), false),
        ("/", "http://studio:3000/", Login, true),
    ]
}

/// path (`=` prefixed for an exact match) -> (url, guard, cors), from a parsed config.
fn exposed(config: &Config) -> BTreeMap<String, (String, Guard, bool)> {
    let mut all = BTreeMap::new();
    for service in &config.services {
        let plugin = |name: &str| service.plugins.iter().find(|p| p.name() == name);
        let guard = match (plugin("request-termination"), plugin("basic-auth"), plugin("key-auth"), plugin("acl")) {
            (Some(Plugin::RequestTermination(t)), _, _, _) => Terminated(t.status_code),
            (None, Some(_), None, None) => Login,
            (None, None, Some(_), Some(Plugin::Acl(acl))) => Guard::Keys(
                acl.allow
                    .iter()
                    .map(|g| {
                        if g == "admin" {
                            "admin"
                        } else if g == "anon" {
                            "anon"
                        } else {
                            "?"
                        }
                    })
                    .collect(),
            ),
            (None, None, None, None) => Open,
            other => Guard::Unlike(format!("{other:?}")),
        };
        let cors = plugin("cors").is_some();
        for route in &service.routes {
            let paths = match (&route.paths, &route.expression) {
                (Some(paths), _) => paths.clone(),
                (None, Some(e)) => vec![format!("={}", e.trim_start_matches("http.path == \"").trim_end_matches('"'))],
                (None, None) => panic!("{}: route without paths", service.name),
            };
            assert!(route.strip_path, "{}: upstream strips every route's path", route.name);
            for path in paths {
                let previous = all.insert(path.clone(), (service.url.clone(), guard.clone(), cors));
                assert!(previous.is_none(), "{path} is routed twice");
            }
        }
    }
    all
}

fn check(config: &Config) -> Result<(), String> {
    let mut exposed = exposed(config);
    let mut wrong = Vec::new();
    for (path, url, guard, cors) in upstream_facts() {
        match exposed.remove(path) {
            None => wrong.push(format!("{path}: missing")),
            Some(got) if got != (url.to_owned(), guard.clone(), cors) => wrong.push(format!("{path}: {got:?}, upstream has {:?}", (url, guard, cors))),
            Some(_) => {}
        }
    }
    wrong.extend(exposed.keys().map(|p| format!("{p}: not a route upstream exposes")));
    if wrong.is_empty() { Ok(()) } else { Err(wrong.join("\n")) }
}

fn configs() -> Vec<(KeySet, Config)> {
    let root = aiwah_harness::repo::this_checkout();
    KeySet::ALL.into_iter().map(|k| (k, kong_schema::load(&root.join(k.file())))).collect()
}

#[test]
fn every_route_upstream_exposes_is_there_with_the_same_protection() {
    for (keys, config) in configs() {
        check(&config).unwrap_or_else(|e| panic!("{}:\n{e}", keys.file()));
        // Upstream routes no analytics (Logflare) through the gateway.
        assert!(!config.services.iter().any(|s| s.url.contains("analytics") || s.url.contains(":4000/api/endpoints")));
    }
}

#[test]
fn losing_a_route_or_a_guard_fails_the_check() {
    let text = aiwah_harness::gateway::kong::render(KeySet::Legacy);
    let mutate = |from: &str, to: &str| {
        assert!(text.contains(from), "{from} not in the config");
        kong_schema::parse(&text.replacen(from, to, 1)).unwrap()
    };
    // The first key-auth is /auth/v1/'s, the first admin-only ACL the REST root's.
    let key_auth = "{\n          \"config\": {\n            \"hide_credentials\": false\n          },\n          \"name\": \"key-auth\"\n        },";
    let admin_only = "\"allow\": [\n              \"admin\"\n            ]";
    for (config, wanted) in [
        (mutate("\"/pg/\"", "\"/pg-admin/\""), "/pg/: missing"),
        (mutate(key_auth, ""), "/auth/v1/:"),
        (mutate(admin_only, "\"allow\": [\n              \"admin\",\n              \"anon\"\n            ]"), "=/rest/v1/:"),
        (mutate("\"status_code\": 403", "\"status_code\": 200"), "/realtime/v1/api/openapi:"),
        (mutate("\"name\": \"basic-auth\"", "\"name\": \"key-auth\""), "/:"),
    ] {
        let err = check(&config).expect_err(wanted);
        assert!(err.lines().any(|l| l.starts_with(wanted)), "expected {wanted:?} in:\n{err}");
    }
}

#[test]
fn admin_only_routes_pass_the_service_role_alone() {
    for name in ["meta", "rest-v1-openapi"] {
        let route = by_name(name);
        assert!(route.access.lets_pass(KeyRole::ServiceRole) && !route.access.lets_pass(KeyRole::Anon), "{name}: {:?}", route.access);
    }
    // And in the configs: the admin group is the service role's alone.
    for (keys, config) in configs() {
        let admins: Vec<&str> = config.consumers.iter().filter(|c| c.acls.iter().any(|a| a.group == "admin")).map(|c| c.username.as_str()).collect();
        assert_eq!(admins, ["service_role"], "{}", keys.file());
    }
    // A positive control: routes for every key let both roles through.
    assert!(KeyRole::ALL.into_iter().all(|r| by_name("rest-v1").access.lets_pass(r)));
}

#[test]
fn realtimes_tenant_api_and_the_mcp_routes_are_terminated() {
    for name in ["realtime-v1-rest-tenants", "realtime-v1-rest-openapi", "mcp", "mcp-blocker"] {
        assert_eq!(by_name(name).access, Access::Terminated, "{name}");
    }
    for (keys, config) in configs() {
        for name in ["realtime-v1-rest-tenants", "mcp", "mcp-blocker"] {
            let service = config.services.iter().find(|s| s.name == name).unwrap_or_else(|| panic!("{}: no service {name}", keys.file()));
            let terminated =
                service.plugins.iter().any(|p| matches!(p, Plugin::RequestTermination(t) if t.status_code == 403 && t.message == "Access is forbidden."));
            assert!(terminated, "{}: {name} is not terminated with 403", keys.file());
        }
    }
    // Every other route reaches its service for someone.
    assert!(ROUTES.iter().filter(|r| r.access == Access::Terminated).count() == 4);
}
