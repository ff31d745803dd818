//! Every route the gateway serves, what it leads to and who may pass: the one source the Kong
//! config, the conformance steps and the security checks read.
//!
//! Facts (paths, upstream services and ports, plugins, ACL groups) are those of Supabase's
//! self-hosting gateway for Kong 3.9 (supabase/supabase `docker/volumes/api`). Its analytics
//! routes are commented out upstream (Studio and Vector reach Logflare directly), so none here.

/// A key role Kong knows as a consumer, each with its legacy HS256 key (and optional opaque key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyRole {
    Anon,
    ServiceRole,
}

impl KeyRole {
    pub const ALL: [KeyRole; 2] = [KeyRole::Anon, KeyRole::ServiceRole];

    /// The Kong consumer holding this role's keys.
    pub fn consumer(self) -> &'static str {
        match self {
            KeyRole::Anon => "anon",
            KeyRole::ServiceRole => "service_role",
        }
    }

    /// The ACL group the consumer is in.
    pub fn acl_group(self) -> &'static str {
        match self {
            KeyRole::Anon => "anon",
            KeyRole::ServiceRole => "admin",
        }
    }
}

/// A service behind the gateway, by its compose host name and port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Upstream {
    Auth,
    Rest,
    Realtime,
    Storage,
    Functions,
    Meta,
    Studio,
}

impl Upstream {
    pub fn host(self) -> &'static str {
        match self {
            Upstream::Auth => "auth",
            Upstream::Rest => "rest",
            // Realtime resolves its tenant from the host name, so Kong calls it by the tenant's alias.
            Upstream::Realtime => "realtime-dev.supabase-realtime",
            Upstream::Storage => "storage",
            Upstream::Functions => "functions",
            Upstream::Meta => "meta",
            Upstream::Studio => "studio",
        }
    }

    pub fn port(self) -> u16 {
        match self {
            Upstream::Auth => 9999,
            Upstream::Rest => 3000,
            Upstream::Realtime => 4000,
            Upstream::Storage => 5000,
            Upstream::Functions => 9000,
            Upstream::Meta => 8080,
            Upstream::Studio => 3000,
        }
    }
}

/// Which requests a route matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoutePath {
    /// Every path starting with this one.
    Prefix(&'static str),
    /// This path only (an expressions-router match, outranking the prefixes).
    Exact(&'static str),
    /// RFC 8414's metadata path for the issuer (`API_EXTERNAL_URL`), known only when the gateway starts.
    OauthMetadata,
}

/// Who the gateway lets through, before the service has its say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (the service decides).
    Open,
    /// key-auth: a key of one of these roles (others get the ACL's 403).
    Keys(&'static [KeyRole]),
    /// basic-auth with the dashboard login.
    DashboardLogin,
    /// request-termination: 403 "Access is forbidden." for everyone.
    Terminated,
}

impl Access {
    /// Whether a request carrying `role`'s key passes the gateway.
    pub fn lets_pass(self, role: KeyRole) -> bool {
        match self {
            Access::Open => true,
            Access::Keys(roles) => roles.contains(&role),
            Access::DashboardLogin | Access::Terminated => false,
        }
    }
}

/// What the gateway does to a passing request's headers, so services see a token they verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forwarding {
    /// Sent on as it came.
    AsIs,
    /// `Authorization` from the key: a user's bearer is kept, else the key itself (an opaque key
    /// becomes its role's asymmetric JWT).
    BearerFromKey,
    /// As [`Forwarding::BearerFromKey`], plus `Content-Profile: graphql_public` for pg_graphql.
    GraphQl,
    /// As [`Forwarding::BearerFromKey`], and an empty `Authorization` is dropped so Storage's S3
    /// signature check falls through to presigned query parameters.
    BearerFromKeyOrNone,
    /// Realtime's socket: the `apikey` query parameter (translated) also as `x-api-key`.
    SocketKey,
    /// Edge Functions: `Authorization` untouched; a client's `sb-api-key` is dropped and set again
    /// only for an opaque key (to its role's asymmetric JWT).
    FunctionsKey,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Http,
    WebSocket,
}

/// One route of the gateway, with its Kong service.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// The Kong service's and route's name.
    pub name: &'static str,
    pub path: RoutePath,
    pub upstream: Upstream,
    /// The path on the upstream the matched prefix maps to.
    pub upstream_path: &'static str,
    pub protocol: Protocol,
    /// Whether the matched prefix is removed before the request goes upstream.
    pub strip_path: bool,
    /// Whether browsers may call it cross-origin (Kong's cors plugin, defaults).
    pub cors: bool,
    pub access: Access,
    pub forwarding: Forwarding,
    /// Kong's read timeout, when not its default (60 s).
    pub read_timeout_ms: Option<u32>,
}

const ANY_KEY: &[KeyRole] = &[KeyRole::ServiceRole, KeyRole::Anon];
const SERVICE_ROLE_ONLY: &[KeyRole] = &[KeyRole::ServiceRole];

const fn route(name: &'static str, path: RoutePath, upstream: Upstream, upstream_path: &'static str, access: Access, forwarding: Forwarding) -> Route {
    let terminated = matches!(access, Access::Terminated);
    Route { name, path, upstream, upstream_path, protocol: Protocol::Http, strip_path: true, cors: !terminated, access, forwarding, read_timeout_ms: None }
}

use Access::{DashboardLogin, Keys, Open, Terminated};
use Forwarding::{AsIs, BearerFromKey};
use RoutePath::{Exact, Prefix};

/// The gateway's routes, in the order Kong's config lists them.
pub const ROUTES: &[Route] = &[
    route("auth-v1-open", Prefix("/auth/v1/verify"), Upstream::Auth, "/verify", Open, AsIs),
    route("auth-v1-open-callback", Prefix("/auth/v1/callback"), Upstream::Auth, "/callback", Open, AsIs),
    route("auth-v1-open-authorize", Prefix("/auth/v1/authorize"), Upstream::Auth, "/authorize", Open, AsIs),
    route("auth-v1-open-jwks", Prefix("/auth/v1/.well-known/jwks.json"), Upstream::Auth, "/.well-known/jwks.json", Open, AsIs),
    route("auth-v1-open-sso-acs", Prefix("/auth/v1/sso/saml/acs"), Upstream::Auth, "/sso/saml/acs", Open, AsIs),
    route("auth-v1-open-sso-metadata", Prefix("/auth/v1/sso/saml/metadata"), Upstream::Auth, "/sso/saml/metadata", Open, AsIs),
    route("auth-v1", Prefix("/auth/v1/"), Upstream::Auth, "/", Keys(ANY_KEY), BearerFromKey),
    // PostgREST's OpenAPI root lists every exposed table and function: service role only.
    route("rest-v1-openapi", Exact("/rest/v1/"), Upstream::Rest, "/", Keys(SERVICE_ROLE_ONLY), BearerFromKey),
    route("rest-v1", Prefix("/rest/v1/"), Upstream::Rest, "/", Keys(ANY_KEY), BearerFromKey),
    route("graphql-v1", Prefix("/graphql/v1"), Upstream::Rest, "/rpc/graphql", Keys(ANY_KEY), Forwarding::GraphQl),
    Route {
        protocol: Protocol::WebSocket,
        ..route("realtime-v1-ws", Prefix("/realtime/v1/"), Upstream::Realtime, "/socket", Keys(ANY_KEY), Forwarding::SocketKey)
    },
    // Realtime's tenant management API and its OpenAPI document are never public.
    route("realtime-v1-rest-openapi", Prefix("/realtime/v1/api/openapi"), Upstream::Realtime, "/api/openapi", Terminated, AsIs),
    route("realtime-v1-rest-tenants", Prefix("/realtime/v1/api/tenants"), Upstream::Realtime, "/api/tenants", Terminated, AsIs),
    route("realtime-v1-rest", Prefix("/realtime/v1/api"), Upstream::Realtime, "/api", Keys(ANY_KEY), BearerFromKey),
    // S3 clients carry no apikey, so Storage checks its own credentials.
    route("storage-v1", Prefix("/storage/v1/"), Upstream::Storage, "/", Open, Forwarding::BearerFromKeyOrNone),
    // The runtime verifies JWTs itself (per function); 160 s leaves 10 s over its 150 s idle timeout.
    Route { read_timeout_ms: Some(160_000), ..route("functions-v1", Prefix("/functions/v1/"), Upstream::Functions, "/", Open, Forwarding::FunctionsKey) },
    route("well-known-oauth", RoutePath::OauthMetadata, Upstream::Auth, "/.well-known/oauth-authorization-server", Open, AsIs),
    Route { cors: false, ..route("meta", Prefix("/pg/"), Upstream::Meta, "/", Keys(SERVICE_ROLE_ONLY), AsIs) },
    // Studio's MCP server: blocked by default on both paths it answers on.
    route("mcp-blocker", Prefix("/api/mcp"), Upstream::Studio, "/api/mcp", Terminated, AsIs),
    route("mcp", Prefix("/mcp"), Upstream::Studio, "/api/mcp", Terminated, AsIs),
    route("dashboard", Prefix("/"), Upstream::Studio, "/", DashboardLogin, AsIs),
];

/// The route called `name`; panics on a name the table does not have (a programming error).
pub fn by_name(name: &str) -> &'static Route {
    ROUTES.iter().find(|r| r.name == name).unwrap_or_else(|| panic!("the gateway has no route called {name:?}"))
}

impl Route {
    /// The path as matched (a prefix, or the exact path); `None` for the metadata path set at start.
    pub fn fixed_path(&self) -> Option<&'static str> {
        match self.path {
            RoutePath::Prefix(p) | RoutePath::Exact(p) => Some(p),
            RoutePath::OauthMetadata => None,
        }
    }

    /// `rest` below this route's path, e.g. `/pg/` + `tables` = `/pg/tables`.
    pub fn path_to(&self, rest: &str) -> String {
        let base = self.fixed_path().unwrap_or_else(|| panic!("route {} has no fixed path", self.name));
        match (base.ends_with('/'), rest.starts_with('/') || rest.is_empty()) {
            (true, true) => format!("{}{}", base.trim_end_matches('/'), if rest.is_empty() { "/" } else { rest }),
            (false, false) => format!("{base}/{rest}"),
            _ => format!("{base}{rest}"),
        }
    }

    pub fn upstream_url(&self) -> String {
        format!("http://{}:{}{}", self.upstream.host(), self.upstream.port(), self.upstream_path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_below_a_route_join_with_one_slash() {
        assert_eq!(by_name("meta").path_to("tables"), "/pg/tables");
        assert_eq!(by_name("meta").path_to("/tables"), "/pg/tables");
        assert_eq!(by_name("realtime-v1-rest").path_to("ping"), "/realtime/v1/api/ping");
        assert_eq!(by_name("rest-v1-openapi").path_to(""), "/rest/v1/");
        assert_eq!(by_name("graphql-v1").path_to(""), "/graphql/v1");
        assert_eq!(by_name("dashboard").path_to(""), "/");
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = ROUTES.iter().map(|r| r.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ROUTES.len());
    }
}
