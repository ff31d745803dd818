//! Supabase's API keys: HS256 JWTs with `role`, `iss`, `iat`, `exp`, signed with the raw bytes of
//! JWT_SECRET — the shape of upstream's `utils/generate-keys.sh` (no `sub`, no `aud`).

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::secrets::Role;

/// Issuer of keys we generate (upstream's generator uses the same).
pub const ISSUER: &str = "supabase";
/// Lifetime of generated keys: five years, like upstream's generator.
pub const LIFETIME_SECS: u64 = 5 * 365 * 24 * 3600;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyClaims {
    pub role: Role,
    pub iss: String,
    pub iat: u64,
    pub exp: u64,
}

pub fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// A key for `role` signed with `jwt_secret`.
pub fn api_key(role: Role, jwt_secret: &str) -> String {
    let iat = now();
    sign(&ApiKeyClaims { role, iss: ISSUER.into(), iat, exp: iat + LIFETIME_SECS }, jwt_secret)
}

/// `claims` as an HS256 JWT signed with the raw bytes of `secret` (how Supabase signs its tokens).
pub fn sign(claims: &impl Serialize, secret: &str) -> String {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(secret.as_bytes()))
        .expect("HS256 signing of serializable claims with an in-memory secret cannot fail")
}

/// The claims of `token` if it is an HS256 JWT signed with `jwt_secret` and not expired.
pub fn verify_api_key(token: &str, jwt_secret: &str) -> Result<ApiKeyClaims, String> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_required_spec_claims(&["exp", "iat"]);
    validation.validate_aud = false;
    jsonwebtoken::decode::<ApiKeyClaims>(token, &DecodingKey::from_secret(jwt_secret.as_bytes()), &validation)
        .map(|data| data.claims)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_key_verifies_only_with_its_secret() {
        let key = api_key(Role::Anon, "0123456789abcdef0123456789abcdef");
        let claims = verify_api_key(&key, "0123456789abcdef0123456789abcdef").unwrap();
        assert_eq!(claims.role, Role::Anon);
        assert_eq!(claims.iss, ISSUER);
        assert_eq!(claims.exp - claims.iat, LIFETIME_SECS);
        assert!(verify_api_key(&key, "another-secret-another-secret-xx").is_err());
    }
}
