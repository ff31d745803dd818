//! API keys the harness mints for n8n's public API (the suite's client, `status -o target`).

/// Their scopes: n8n 2.41.1 accepts exactly these names for the owner (`workflow:publish` is refused
/// with 400 "Invalid scopes for user role" — publishing needs `workflow:activate`).
pub const API_KEY_SCOPES: &[&str] = &[
    "workflow:create",
    "workflow:read",
    "workflow:update",
    "workflow:delete",
    "workflow:list",
    "workflow:activate",
    "workflow:deactivate",
    "execution:read",
    "execution:list",
    "credential:create",
    "credential:read",
];
