//! Supabase Realtime client: Phoenix channels over one websocket, protocol `vsn=1.0.0` (JSON object
//! frames `{topic, event, payload, ref, join_ref}`; the server's V1 frames carry no `join_ref`).
//!
//! The socket is `ws://HOST:PORT/realtime/v1/websocket?apikey=<key>&vsn=1.0.0` behind the gateway. A
//! background task owns it (see `socket`); channels (`realtime:<name>`) receive their frames through
//! it. `subscribe_postgres_changes` returns only after realtime's `system` "Subscribed to PostgreSQL"
//! message, because rows written before it are never delivered.

mod channel;
mod error;
mod socket;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite;

pub use channel::{Change, ChangeKind, Channel};
pub use error::{Latencies, RealtimeError};

/// realtime-js sends a heartbeat every 25 s; Phoenix drops sockets that stay silent much longer.
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(25);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    pub heartbeat: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options { heartbeat: DEFAULT_HEARTBEAT }
    }
}

/// Which changes a binding asks for: every kind (`*`) or one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Events {
    All,
    Only(ChangeKind),
}

impl Events {
    /// The binding's `event` on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Events::All => "*",
            Events::Only(kind) => kind.as_str(),
        }
    }
}

impl From<ChangeKind> for Events {
    fn from(kind: ChangeKind) -> Events {
        Events::Only(kind)
    }
}

/// What a table's WAL keeps of a changed row's old version (`pg_class.relreplident`, `ALTER TABLE
/// .. REPLICA IDENTITY`). For a DELETE it is all realtime has to match a subscriber's filter against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicaIdentity {
    /// `d`: the primary key columns (PostgreSQL's default).
    Default,
    /// `f`: every column.
    Full,
    /// `i`: the columns of one unique index.
    Index,
    /// `n`: nothing; deletes are not decoded.
    Nothing,
}

impl ReplicaIdentity {
    /// From `pg_class.relreplident`.
    pub fn from_relreplident(code: &str) -> Option<ReplicaIdentity> {
        match code {
            "d" => Some(ReplicaIdentity::Default),
            "f" => Some(ReplicaIdentity::Full),
            "i" => Some(ReplicaIdentity::Index),
            "n" => Some(ReplicaIdentity::Nothing),
            _ => None,
        }
    }

    /// From the words after `REPLICA IDENTITY` in SQL (any case): `full`, `default`, `nothing`, `using index ..`.
    pub fn from_sql(words: &str) -> Option<ReplicaIdentity> {
        let words = words.trim().to_ascii_lowercase();
        match words.as_str() {
            "default" => Some(ReplicaIdentity::Default),
            "full" => Some(ReplicaIdentity::Full),
            "nothing" => Some(ReplicaIdentity::Nothing),
            _ if words.starts_with("using index ") => Some(ReplicaIdentity::Index),
            _ => None,
        }
    }
}

/// One `config.postgres_changes` binding of a join.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgChange {
    pub events: Events,
    pub schema: String,
    pub table: String,
    /// PostgREST-style `column=op.value` (eq, neq, lt, lte, gt, gte, in).
    pub filter: Option<String>,
}

impl PgChange {
    pub fn new(events: impl Into<Events>, schema: &str, table: &str) -> PgChange {
        PgChange { events: events.into(), schema: schema.to_string(), table: table.to_string(), filter: None }
    }

    pub fn filter(mut self, filter: &str) -> PgChange {
        self.filter = Some(filter.to_string());
        self
    }

    fn to_json(&self) -> Value {
        let mut binding = json!({"event": self.events.as_str(), "schema": self.schema, "table": self.table});
        if let Some(filter) = &self.filter {
            binding["filter"] = json!(filter);
        }
        binding
    }

    /// realtime-js's check: the server echoes each binding, in request order, with its id added.
    fn matches(&self, server: &Value) -> bool {
        server["event"] == self.events.as_str()
            && server["schema"] == self.schema.as_str()
            && server["table"] == self.table.as_str()
            && server["filter"].as_str() == self.filter.as_deref()
    }
}

/// One realtime websocket. Dropping it (and its channels) closes the socket.
pub struct Realtime {
    link: Arc<socket::Link>,
    task: Option<JoinHandle<()>>,
}

impl Realtime {
    /// `url` is the gateway's base (`http://127.0.0.1:8000`); the key is never shown in errors.
    pub async fn connect(url: &str, apikey: &str, deadline: Duration) -> Result<Realtime, RealtimeError> {
        Realtime::connect_with(url, apikey, deadline, Options::default()).await
    }

    pub async fn connect_with(url: &str, apikey: &str, deadline: Duration, options: Options) -> Result<Realtime, RealtimeError> {
        let (ws_url, shown) = socket_url(url, apikey)?;
        let connect = tokio_tungstenite::connect_async(ws_url.as_str());
        let ws = match tokio::time::timeout(deadline, connect).await {
            // A placeholder's answer to the handshake (its 503, or anything it marks) is no server's.
            Ok(Ok((_, response))) if crate::clients::http::placeholder_of(response.headers()).is_some() => {
                return Err(placeholder(shown, response.headers()));
            }
            Ok(Err(tungstenite::Error::Http(response))) if crate::clients::http::placeholder_of(response.headers()).is_some() => {
                return Err(placeholder(shown, response.headers()));
            }
            Ok(Ok((ws, _response))) => ws,
            Ok(Err(e)) => {
                let mut message = describe(e);
                if !apikey.is_empty() {
                    message = message.replace(apikey, "<redacted>").replace(&encode(apikey), "<redacted>");
                }
                return Err(RealtimeError::Connect { url: shown, message });
            }
            Err(_) => {
                return Err(RealtimeError::Timeout { waited_for: format!("websocket upgrade at {shown}"), deadline });
            }
        };
        let (out, out_rx) = tokio::sync::mpsc::unbounded_channel();
        let shared = Arc::new(socket::Shared::default());
        let task = tokio::spawn(socket::run(ws, out_rx, shared.clone(), options.heartbeat));
        Ok(Realtime { link: Arc::new(socket::Link { out, shared }), task: Some(task) })
    }

    /// Joins `realtime:<name>` with `changes` and returns once realtime is subscribed to PostgreSQL.
    /// `deadline` bounds the whole subscribe (join reply, then the `system` message).
    pub async fn subscribe_postgres_changes(
        &self,
        name: &str,
        changes: Vec<PgChange>,
        access_token: &str,
        deadline: Duration,
    ) -> Result<Channel, RealtimeError> {
        if changes.is_empty() {
            return Err(RealtimeError::Usage(format!("subscribe to realtime:{name} without postgres_changes bindings")));
        }
        let until = tokio::time::Instant::now() + deadline;
        let bindings: Vec<Value> = changes.iter().map(PgChange::to_json).collect();
        let payload = join_payload(false, bindings, Some(access_token));
        let (mut channel, response) = Channel::join(self.link.clone(), name, payload, until, deadline).await?;
        let waited_for = format!("phx_reply to phx_join on {}", channel.topic());
        let server = response["postgres_changes"].as_array().cloned().unwrap_or_default();
        let mut ids = Vec::with_capacity(changes.len());
        for (i, change) in changes.iter().enumerate() {
            match server.get(i) {
                Some(binding) if change.matches(binding) && !binding["id"].is_null() => ids.push(binding["id"].clone()),
                other => {
                    let message = format!("binding #{i} {} answered with {}", change.to_json(), other.map_or_else(|| "nothing".to_string(), Value::to_string));
                    return Err(RealtimeError::Protocol { waited_for, message });
                }
            }
        }
        channel.set_ids(ids);
        channel.await_subscribed(until, deadline).await?;
        Ok(channel)
    }

    /// Joins `realtime:<name>` for broadcast only; `receive_own` is `config.broadcast.self`. Without
    /// an `access_token` the server authorises the channel with the socket's apikey.
    pub async fn join_broadcast(&self, name: &str, receive_own: bool, deadline: Duration) -> Result<Channel, RealtimeError> {
        let until = tokio::time::Instant::now() + deadline;
        let payload = join_payload(receive_own, Vec::new(), None);
        let (channel, _response) = Channel::join(self.link.clone(), name, payload, until, deadline).await?;
        Ok(channel)
    }

    /// Sends a close frame and waits (briefly) for the socket task to end.
    pub async fn close(mut self) {
        let _ = self.link.out.send(socket::Out::Close);
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
    }
}

fn join_payload(receive_own: bool, postgres_changes: Vec<Value>, access_token: Option<&str>) -> Value {
    let mut payload = json!({"config": {
        "broadcast": {"ack": false, "self": receive_own},
        "presence": {"key": "", "enabled": false},
        "postgres_changes": postgres_changes,
        "private": false,
    }});
    if let Some(token) = access_token {
        payload["access_token"] = json!(token);
    }
    payload
}

/// The socket URL to dial, and the same with the key redacted for messages.
fn socket_url(base: &str, apikey: &str) -> Result<(String, String), RealtimeError> {
    let base = base.trim_end_matches('/');
    let (scheme, rest) = [("http://", "ws://"), ("https://", "wss://"), ("ws://", "ws://"), ("wss://", "wss://")]
        .iter()
        .find_map(|(from, to)| base.strip_prefix(from).map(|rest| (*to, rest)))
        .ok_or_else(|| RealtimeError::Connect { url: base.to_string(), message: "expected an http:// or https:// gateway URL".to_string() })?;
    let path = format!("{scheme}{rest}/realtime/v1/websocket");
    Ok((format!("{path}?apikey={}&vsn=1.0.0", encode(apikey)), format!("{path}?apikey=<redacted>&vsn=1.0.0")))
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn placeholder(url: String, headers: &tungstenite::http::HeaderMap) -> RealtimeError {
    let holder = headers.get(crate::clients::http::PLACEHOLDER_HEADER).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()).unwrap_or_default();
    RealtimeError::Connect { url, message: crate::clients::http::placeholder_message(&holder) }
}

fn describe(e: tungstenite::Error) -> String {
    match e {
        tungstenite::Error::Http(response) => {
            let body = response.body().as_deref().map(String::from_utf8_lossy).unwrap_or_default();
            format!("upgrade refused: HTTP {} {}", response.status(), body.trim())
        }
        other => other.to_string(),
    }
}
