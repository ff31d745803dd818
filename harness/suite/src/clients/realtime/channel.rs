//! One joined topic (`realtime:<name>`): waits for its replies, and hands out the postgres changes
//! and broadcasts addressed to it.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedReceiver;

use super::RealtimeError;
use super::socket::{Inbound, Link, RegisterError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Insert,
    Update,
    Delete,
}

impl ChangeKind {
    pub const ALL: [ChangeKind; 3] = [ChangeKind::Insert, ChangeKind::Update, ChangeKind::Delete];

    /// The word realtime uses on the wire (`data.type`, a binding's `event`).
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Insert => "INSERT",
            ChangeKind::Update => "UPDATE",
            ChangeKind::Delete => "DELETE",
        }
    }

    pub fn parse(word: &str) -> Option<ChangeKind> {
        ChangeKind::ALL.into_iter().find(|k| k.as_str() == word)
    }
}

/// One `postgres_changes` event (`payload.data`), as realtime sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub kind: ChangeKind,
    pub schema: String,
    pub table: String,
    /// Absent on DELETE.
    pub record: Option<Value>,
    /// Absent on INSERT; only the primary key unless the table has `REPLICA IDENTITY FULL`.
    pub old_record: Option<Value>,
    pub commit_timestamp: String,
    /// `data.errors` (e.g. a payload too large for realtime); empty when `null`.
    pub errors: Vec<String>,
    /// When the socket task read the frame, not when the caller asked for it.
    pub received_at: Instant,
}

impl Change {
    fn parse(data: &Value, received_at: Instant) -> Result<Change, String> {
        let text = |key: &str| data[key].as_str().map(str::to_string).ok_or_else(|| format!("data.{key} missing in {data}"));
        let kind = text("type")?;
        let kind = ChangeKind::parse(&kind).ok_or_else(|| format!("data.type {kind:?} is not INSERT, UPDATE or DELETE"))?;
        let present = |key: &str| Some(data[key].clone()).filter(|v| !v.is_null());
        let errors = match &data["errors"] {
            Value::Array(items) => items.iter().map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_string)).collect(),
            _ => Vec::new(),
        };
        Ok(Change {
            kind,
            schema: text("schema")?,
            table: text("table")?,
            record: present("record"),
            old_record: present("old_record"),
            commit_timestamp: text("commit_timestamp")?,
            errors,
            received_at,
        })
    }

    fn summary(&self) -> String {
        let row = self.record.as_ref().or(self.old_record.as_ref()).map(Value::to_string).unwrap_or_default();
        let row: String = row.chars().take(200).collect();
        format!("{:?} {}.{} {row}", self.kind, self.schema, self.table)
    }
}

/// What a wait does with one frame of its topic.
enum Seen<T> {
    Done(T),
    Failed(RealtimeError),
    Other,
}

pub struct Channel {
    topic: String,
    join_ref: String,
    ids: Vec<Value>,
    rx: UnboundedReceiver<Inbound>,
    /// Frames a previous wait read but did not consume, in arrival order.
    pending: VecDeque<Inbound>,
    link: Arc<Link>,
    left: bool,
    /// Why the server ended this join (`phx_close`, `phx_error`); later waits fail with it at once.
    ended: Option<String>,
}

impl Channel {
    /// Sends `phx_join` and waits for its `phx_reply`; returns the channel and the reply's `response`.
    pub(super) async fn join(
        link: Arc<Link>,
        name: &str,
        payload: Value,
        until: tokio::time::Instant,
        deadline: Duration,
    ) -> Result<(Channel, Value), RealtimeError> {
        let topic = format!("realtime:{name}");
        let waited_for = format!("phx_reply to phx_join on {topic}");
        let rx = link.register(&topic).map_err(|e| match e {
            RegisterError::AlreadyJoined => RealtimeError::Usage(format!("{topic} is already joined on this socket")),
            RegisterError::Closed(reason) => RealtimeError::Closed { waited_for: waited_for.clone(), reason },
        })?;
        let join_ref = link.next_ref();
        let mut channel = Channel { topic, join_ref, ids: Vec::new(), rx, pending: VecDeque::new(), link, left: false, ended: None };
        channel.push_raw("phx_join", payload, &channel.join_ref.clone(), &waited_for)?;
        let join_ref = channel.join_ref.clone();
        let reply = channel
            .wait(&waited_for, until, deadline, |_, (_, frame)| {
                if frame["event"] != "phx_reply" || frame["ref"].as_str() != Some(join_ref.as_str()) {
                    return Seen::Other;
                }
                let response = frame["payload"]["response"].clone();
                match frame["payload"]["status"].as_str() {
                    Some("ok") => Seen::Done(response),
                    Some("error") => Seen::Failed(RealtimeError::Server {
                        waited_for: waited_for.clone(),
                        reason: response["reason"].as_str().map_or_else(|| response.to_string(), str::to_string),
                    }),
                    _ => {
                        Seen::Failed(RealtimeError::Protocol { waited_for: waited_for.clone(), message: format!("phx_reply without status ok/error: {frame}") })
                    }
                }
            })
            .await;
        match reply {
            Ok(response) => Ok((channel, response)),
            Err(e) => {
                // A refused join left nothing to leave; a timed-out one may still complete, so Drop leaves it.
                channel.left = matches!(e, RealtimeError::Server { .. });
                Err(e)
            }
        }
    }

    pub(super) fn set_ids(&mut self, ids: Vec<Value>) {
        self.ids = ids;
    }

    /// Waits for `system` {extension postgres_changes, status ok} ("Subscribed to PostgreSQL"):
    /// rows written before it are not delivered.
    pub(super) async fn await_subscribed(&mut self, until: tokio::time::Instant, deadline: Duration) -> Result<(), RealtimeError> {
        let waited_for = format!("system \"Subscribed to PostgreSQL\" (postgres_changes ok) on {}", self.topic);
        self.wait(&waited_for, until, deadline, |_, (_, frame)| {
            let p = &frame["payload"];
            if frame["event"] == "system" && p["extension"] == "postgres_changes" && p["status"] == "ok" { Seen::Done(()) } else { Seen::Other }
        })
        .await
    }

    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// The server's ids for this channel's postgres_changes bindings, in request order.
    pub fn binding_ids(&self) -> &[Value] {
        &self.ids
    }

    /// The next change whose `ids` include one of this channel's bindings; others are dropped.
    pub async fn next_change(&mut self, deadline: Duration) -> Result<Change, RealtimeError> {
        let waited_for = format!("postgres_changes on {}", self.topic);
        let until = tokio::time::Instant::now() + deadline;
        self.wait(&waited_for, until, deadline, |channel, (at, frame)| {
            if frame["event"] != "postgres_changes" || !channel.is_ours(frame) {
                return Seen::Other;
            }
            match Change::parse(&frame["payload"]["data"], *at) {
                Ok(change) => Seen::Done(change),
                Err(message) => Seen::Failed(RealtimeError::Protocol { waited_for: waited_for.clone(), message }),
            }
        })
        .await
    }

    /// Succeeds if no change for this channel arrives within `within`.
    pub async fn expect_no_change(&mut self, within: Duration) -> Result<(), RealtimeError> {
        match self.next_change(within).await {
            Ok(change) => Err(RealtimeError::UnexpectedChange { topic: self.topic.clone(), within, change: change.summary() }),
            Err(RealtimeError::Timeout { .. }) => Ok(()),
            Err(other) => Err(other),
        }
    }

    /// Succeeds only if no broadcast arrives within `within`: a closed socket or channel is an error,
    /// not silence.
    pub async fn expect_no_broadcast(&mut self, within: Duration) -> Result<(), RealtimeError> {
        match self.next_broadcast(within).await {
            Ok((event, payload)) => Err(RealtimeError::UnexpectedBroadcast { topic: self.topic.clone(), within, broadcast: format!("{event} {payload}") }),
            Err(RealtimeError::Timeout { .. }) => Ok(()),
            Err(other) => Err(other),
        }
    }

    /// Pushes `{"type":"broadcast","event":..,"payload":..}` (no ack requested).
    pub fn broadcast(&self, event: &str, payload: Value) -> Result<(), RealtimeError> {
        let body = json!({"type": "broadcast", "event": event, "payload": payload});
        let waited_for = format!("sending broadcast {event:?} on {}", self.topic);
        self.push_raw("broadcast", body, &self.link.next_ref(), &waited_for)
    }

    /// The next broadcast on this topic: (event, payload).
    pub async fn next_broadcast(&mut self, deadline: Duration) -> Result<(String, Value), RealtimeError> {
        let waited_for = format!("broadcast on {}", self.topic);
        let until = tokio::time::Instant::now() + deadline;
        self.wait(&waited_for, until, deadline, |_, (_, frame)| {
            if frame["event"] != "broadcast" {
                return Seen::Other;
            }
            match frame["payload"]["event"].as_str() {
                Some(event) => Seen::Done((event.to_string(), frame["payload"]["payload"].clone())),
                None => Seen::Failed(RealtimeError::Protocol { waited_for: waited_for.clone(), message: format!("broadcast without payload.event: {frame}") }),
            }
        })
        .await
    }

    /// Pushes `access_token` so the server re-checks the channel against a fresh JWT.
    pub fn set_access_token(&self, access_token: &str) -> Result<(), RealtimeError> {
        let waited_for = format!("sending access_token on {}", self.topic);
        self.push_raw("access_token", json!({"access_token": access_token}), &self.link.next_ref(), &waited_for)
    }

    /// Sends `phx_leave` and waits for the server's ok (or `phx_close`).
    pub async fn leave(mut self, deadline: Duration) -> Result<(), RealtimeError> {
        let waited_for = format!("phx_reply to phx_leave on {}", self.topic);
        let leave_ref = self.link.next_ref();
        self.left = true;
        self.push_raw("phx_leave", json!({}), &leave_ref, &waited_for)?;
        let until = tokio::time::Instant::now() + deadline;
        self.wait(&waited_for, until, deadline, |channel, (_, frame)| {
            let reply = frame["event"] == "phx_reply" && frame["ref"].as_str() == Some(leave_ref.as_str());
            if reply || channel.is_close(frame) { Seen::Done(()) } else { Seen::Other }
        })
        .await
    }

    fn push_raw(&self, event: &str, payload: Value, reference: &str, waited_for: &str) -> Result<(), RealtimeError> {
        self.link
            .push(&self.topic, event, payload, reference, &self.join_ref)
            .map_err(|reason| RealtimeError::Closed { waited_for: waited_for.to_string(), reason })
    }

    fn is_ours(&self, frame: &Value) -> bool {
        let ids = frame["payload"]["ids"].as_array();
        ids.is_some_and(|ids| ids.iter().any(|id| self.ids.contains(id)))
    }

    /// `phx_close` for this join; V1 frames carry the join ref in `ref`, and a stale close from an
    /// earlier join of the same topic must not end this one.
    fn is_close(&self, frame: &Value) -> bool {
        frame["event"] == "phx_close" && frame["ref"].as_str().is_none_or(|r| r == self.join_ref)
    }

    /// Reads frames until `on` takes one; a server-side close or error ends the wait. Frames another
    /// kind of wait could want (broadcasts, our changes) are put back for it.
    async fn wait<T>(
        &mut self,
        waited_for: &str,
        until: tokio::time::Instant,
        deadline: Duration,
        mut on: impl FnMut(&Channel, &Inbound) -> Seen<T>,
    ) -> Result<T, RealtimeError> {
        let mut stash = Vec::new();
        let result = loop {
            let item = match self.pending.pop_front() {
                Some(item) => item,
                None if self.ended.is_some() => {
                    let reason = self.ended.clone().unwrap_or_default();
                    break Err(RealtimeError::Closed { waited_for: waited_for.to_string(), reason });
                }
                None => match tokio::time::timeout_at(until, self.rx.recv()).await {
                    Ok(Some(item)) => item,
                    Ok(None) => {
                        let reason = self.link.closed_reason();
                        break Err(RealtimeError::Closed { waited_for: waited_for.to_string(), reason });
                    }
                    Err(_) => break Err(RealtimeError::Timeout { waited_for: waited_for.to_string(), deadline }),
                },
            };
            match on(self, &item) {
                Seen::Done(value) => break Ok(value),
                Seen::Failed(e) => break Err(e),
                Seen::Other => {}
            }
            let frame = &item.1;
            let ended = if self.is_close(frame) {
                Some("server closed the channel (phx_close)")
            } else if frame["event"] == "phx_error" && frame["ref"].as_str().is_none_or(|r| r == self.join_ref) {
                Some("channel crashed on the server (phx_error)")
            } else {
                None
            };
            if let Some(reason) = ended {
                self.ended = Some(reason.to_string());
                break Err(RealtimeError::Closed { waited_for: waited_for.to_string(), reason: reason.to_string() });
            }
            if frame["event"] == "system" && frame["payload"]["status"] == "error" {
                let p = &frame["payload"];
                let reason = format!("{} ({})", p["message"].as_str().unwrap_or("no message"), p["extension"]);
                break Err(RealtimeError::Server { waited_for: waited_for.to_string(), reason });
            }
            if frame["event"] == "broadcast" || (frame["event"] == "postgres_changes" && self.is_ours(frame)) {
                stash.push(item);
            }
        };
        for item in stash.into_iter().rev() {
            self.pending.push_front(item);
        }
        result
    }
}

impl Drop for Channel {
    fn drop(&mut self) {
        if !self.left && self.ended.is_none() {
            let _ = self.link.push(&self.topic, "phx_leave", json!({}), &self.link.next_ref(), &self.join_ref);
        }
        self.link.unregister(&self.topic);
    }
}
