//! The client's one error shape, and the latency summary the realtime checks report.

use std::fmt;
use std::time::Duration;

/// Every failure names what the client was waiting for, so a report line says which step broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RealtimeError {
    /// The websocket could not be opened (`url` has the apikey redacted).
    Connect { url: String, message: String },
    /// Nothing matching arrived before the deadline.
    Timeout { waited_for: String, deadline: Duration },
    /// The server answered with an error: `phx_reply` status error, or a `system` message with status error.
    Server { waited_for: String, reason: String },
    /// The socket or the channel went away (socket closed, heartbeat unanswered, `phx_close`, `phx_error`).
    Closed { waited_for: String, reason: String },
    /// The server sent something the protocol does not allow here.
    Protocol { waited_for: String, message: String },
    /// `expect_no_change` saw a change.
    UnexpectedChange { topic: String, within: Duration, change: String },
    /// `expect_no_broadcast` saw a broadcast.
    UnexpectedBroadcast { topic: String, within: Duration, broadcast: String },
    /// The caller asked for something the client cannot do (bad binding, topic joined twice).
    Usage(String),
}

impl fmt::Display for RealtimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RealtimeError::Connect { url, message } => write!(f, "realtime: cannot open {url}: {message}"),
            RealtimeError::Timeout { waited_for, deadline } => {
                write!(f, "realtime: no {waited_for} within {deadline:?}")
            }
            RealtimeError::Server { waited_for, reason } => {
                write!(f, "realtime: server error while waiting for {waited_for}: {reason}")
            }
            RealtimeError::Closed { waited_for, reason } => {
                write!(f, "realtime: closed while waiting for {waited_for}: {reason}")
            }
            RealtimeError::Protocol { waited_for, message } => {
                write!(f, "realtime: unexpected frame while waiting for {waited_for}: {message}")
            }
            RealtimeError::UnexpectedChange { topic, within, change } => {
                write!(f, "realtime: expected no change on {topic} for {within:?}, got {change}")
            }
            RealtimeError::UnexpectedBroadcast { topic, within, broadcast } => {
                write!(f, "realtime: expected no broadcast on {topic} for {within:?}, got {broadcast}")
            }
            RealtimeError::Usage(message) => write!(f, "realtime: {message}"),
        }
    }
}

impl std::error::Error for RealtimeError {}

/// Delivery latencies of one run (write → change received), summarised by nearest-rank percentiles.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Latencies(pub Vec<Duration>);

impl Latencies {
    pub fn push(&mut self, latency: Duration) {
        self.0.push(latency);
    }

    pub fn p50(&self) -> Option<Duration> {
        self.percentile(50)
    }

    pub fn p95(&self) -> Option<Duration> {
        self.percentile(95)
    }

    pub fn max(&self) -> Option<Duration> {
        self.0.iter().max().copied()
    }

    /// `n=5 p50=12ms p95=30ms`, or `n=0` when nothing was measured.
    pub fn summary(&self) -> String {
        match (self.p50(), self.p95()) {
            (Some(p50), Some(p95)) => {
                format!("n={} p50={}ms p95={}ms", self.0.len(), p50.as_millis(), p95.as_millis())
            }
            _ => "n=0".to_string(),
        }
    }

    fn percentile(&self, p: usize) -> Option<Duration> {
        if self.0.is_empty() {
            return None;
        }
        let mut sorted = self.0.clone();
        sorted.sort();
        let rank = (p * sorted.len()).div_ceil(100).max(1);
        Some(sorted[rank - 1])
    }
}
