//! The anonymous bearer-token flow of the Distribution API: a registry that wants a token answers 401
//! with `WWW-Authenticate: Bearer realm="...",service="...",scope="..."`; the client asks the realm for
//! a token (no credentials: public images) and repeats the request with `Authorization: Bearer`.

use serde::Deserialize;

/// A parsed `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
    /// Basic or another scheme: the registry wants credentials we do not have.
    Other(String),
}

impl Challenge {
    /// Parse one challenge header value (`Bearer realm="https://auth.docker.io/token",service="registry.docker.io"`).
    pub fn parse(header: &str) -> Option<Challenge> {
        let header = header.trim();
        let (scheme, params) = header.split_once(' ').unwrap_or((header, ""));
        if !scheme.eq_ignore_ascii_case("bearer") {
            return (!scheme.is_empty()).then(|| Challenge::Other(scheme.to_string()));
        }
        let params = parse_params(params);
        let get = |key: &str| params.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.clone());
        Some(Challenge::Bearer { realm: get("realm")?, service: get("service"), scope: get("scope") })
    }
}

/// `key="value",key2="value, with comma"` pairs; quotes are optional and commas inside them are kept.
fn parse_params(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    while let Some((key, after)) = rest.split_once('=') {
        let key = key.trim().trim_start_matches(',').trim().to_string();
        let after = after.trim_start();
        let (value, remaining) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            (quoted[..end].to_string(), quoted.get(end + 1..).unwrap_or(""))
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim().to_string(), &after[end..])
        };
        out.push((key, value));
        rest = remaining.trim_start().trim_start_matches(',');
    }
    out
}

/// What a token endpoint answers: Docker Hub sends both fields, the spec allows either.
#[derive(Debug, Deserialize)]
pub struct TokenAnswer {
    token: Option<String>,
    access_token: Option<String>,
}

impl TokenAnswer {
    pub fn into_token(self) -> Option<String> {
        self.token.or(self.access_token).filter(|t| !t.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_challenge_parses_with_a_scope_holding_commas() {
        let header = r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/postgres:pull,push""#;
        assert_eq!(
            Challenge::parse(header),
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:library/postgres:pull,push".into()),
            })
        );
    }

    #[test]
    fn basic_and_realmless_challenges_are_not_a_token_flow() {
        assert_eq!(Challenge::parse(r#"Basic realm="Registry""#), Some(Challenge::Other("Basic".into())));
        assert_eq!(Challenge::parse(r#"Bearer service="x""#), None);
    }

    #[test]
    fn either_token_field_is_read() {
        let a: TokenAnswer = serde_json::from_str(r#"{"access_token":"abc"}"#).unwrap();
        assert_eq!(a.into_token().as_deref(), Some("abc"));
        let b: TokenAnswer = serde_json::from_str(r#"{"token":"xyz","expires_in":300}"#).unwrap();
        assert_eq!(b.into_token().as_deref(), Some("xyz"));
        let none: TokenAnswer = serde_json::from_str(r#"{"token":""}"#).unwrap();
        assert_eq!(none.into_token(), None);
    }
}
