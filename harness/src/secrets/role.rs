//! The PostgreSQL roles Supabase's keys and tokens name (`role` claim): PostgREST switches to the
//! claim's role, RLS policies are written for them, and our keys are minted for them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Requests without a user: the anon key.
    Anon,
    /// A signed-in user's access token.
    Authenticated,
    /// The service key: bypasses RLS.
    ServiceRole,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Anon, Role::Authenticated, Role::ServiceRole];

    /// The role's name in PostgreSQL and in JWT claims.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Anon => "anon",
            Role::Authenticated => "authenticated",
            Role::ServiceRole => "service_role",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(name: &str) -> Result<Role, String> {
        Role::ALL.into_iter().find(|r| r.as_str() == name).ok_or_else(|| format!("unknown role {name:?} (known: anon, authenticated, service_role)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_text_and_json() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            assert_eq!(serde_json::to_string(&role).unwrap(), format!("\"{role}\""));
        }
        assert!("postgres".parse::<Role>().unwrap_err().contains("postgres"));
        assert!(serde_json::from_str::<Role>("\"supabase_admin\"").is_err());
    }
}
