//! What the HTTP clients share: one error shape for an upstream API's refusal, and the transport
//! failures that are not refusals.

use std::fmt;

/// A response the client did not expect, or a request that never got one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// `METHOD path` of the request, for the one-line report.
    pub request: String,
    /// HTTP status; 0 when no response arrived (connection refused, timeout, bad body).
    pub status: u16,
    /// The service's own error code when it sent one (GoTrue `error_code`, PostgREST `code`, ...).
    pub code: Option<String>,
    /// The service's message, or the transport error.
    pub message: String,
}

impl ApiError {
    pub fn transport(request: impl Into<String>, err: impl fmt::Display) -> ApiError {
        ApiError { request: request.into(), status: 0, code: None, message: err.to_string() }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.status, &self.code) {
            (0, _) => write!(f, "{}: no response: {}", self.request, self.message),
            (s, Some(code)) => write!(f, "{}: HTTP {s} {code}: {}", self.request, self.message),
            (s, None) => write!(f, "{}: HTTP {s}: {}", self.request, self.message),
        }
    }
}

impl std::error::Error for ApiError {}

pub type ApiResult<T> = std::result::Result<T, ApiError>;
