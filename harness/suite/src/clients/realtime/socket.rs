//! The task that owns the websocket: routes server frames to channels by topic, writes what the
//! channels push, and keeps the socket alive with Phoenix heartbeats.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub(super) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A server frame and the moment the socket task read it (latency is measured from there).
pub(super) type Inbound = (Instant, Value);

pub(super) enum Out {
    Frame(String),
    Close,
}

#[derive(Default)]
struct Routes {
    by_topic: HashMap<String, UnboundedSender<Inbound>>,
    /// Set once the socket is gone; dropping the senders is what fails the channels' waits.
    closed: Option<String>,
}

#[derive(Default)]
pub(super) struct Shared {
    routes: Mutex<Routes>,
    next_ref: AtomicU64,
}

impl Shared {
    fn next_ref(&self) -> String {
        (self.next_ref.fetch_add(1, Ordering::Relaxed) + 1).to_string()
    }

    fn routes(&self) -> std::sync::MutexGuard<'_, Routes> {
        self.routes.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn route(&self, frame: Value, at: Instant) {
        let routes = self.routes();
        if let Some(tx) = frame["topic"].as_str().and_then(|t| routes.by_topic.get(t)) {
            let _ = tx.send((at, frame));
        }
    }

    fn fail(&self, reason: String) {
        let mut routes = self.routes();
        routes.closed.get_or_insert(reason);
        routes.by_topic.clear();
    }
}

/// What channels hold: a way to push frames and to (un)register their topic.
pub(super) struct Link {
    pub(super) out: UnboundedSender<Out>,
    pub(super) shared: Arc<Shared>,
}

pub(super) enum RegisterError {
    AlreadyJoined,
    Closed(String),
}

impl Link {
    pub(super) fn next_ref(&self) -> String {
        self.shared.next_ref()
    }

    pub(super) fn closed_reason(&self) -> String {
        self.shared.routes().closed.clone().unwrap_or_else(|| "socket task ended".to_string())
    }

    pub(super) fn register(&self, topic: &str) -> Result<UnboundedReceiver<Inbound>, RegisterError> {
        let mut routes = self.shared.routes();
        if let Some(reason) = &routes.closed {
            return Err(RegisterError::Closed(reason.clone()));
        }
        if routes.by_topic.contains_key(topic) {
            return Err(RegisterError::AlreadyJoined);
        }
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        routes.by_topic.insert(topic.to_string(), tx);
        Ok(rx)
    }

    pub(super) fn unregister(&self, topic: &str) {
        self.shared.routes().by_topic.remove(topic);
    }

    /// Queues one V1 frame; the error is why the socket is gone.
    pub(super) fn push(&self, topic: &str, event: &str, payload: Value, reference: &str, join_ref: &str) -> Result<(), String> {
        let frame = json!({"topic": topic, "event": event, "payload": payload, "ref": reference, "join_ref": join_ref});
        self.out.send(Out::Frame(frame.to_string())).map_err(|_| self.closed_reason())
    }
}

/// Runs until the socket ends, the client closes it, or a heartbeat goes unanswered (as phoenix.js
/// does, since a socket without heartbeat replies is one the server has already dropped).
pub(super) async fn run(ws: Ws, mut out: UnboundedReceiver<Out>, shared: Arc<Shared>, heartbeat: Duration) {
    let (mut sink, mut stream) = ws.split();
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + heartbeat, heartbeat);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut pending_heartbeat: Option<String> = None;
    let reason = loop {
        tokio::select! {
            msg = stream.next() => match msg {
                Some(Ok(Message::Text(text))) => {
                    let at = Instant::now();
                    let frame: Value = match serde_json::from_str(text.as_str()) {
                        Ok(frame) => frame,
                        Err(e) => break format!("server sent a frame that is not JSON: {e}"),
                    };
                    if frame["topic"] == "phoenix" {
                        if frame["event"] == "phx_reply" && frame["ref"].as_str() == pending_heartbeat.as_deref() {
                            pending_heartbeat = None;
                        }
                    } else {
                        shared.route(frame, at);
                    }
                }
                Some(Ok(Message::Close(Some(close)))) => {
                    break format!("server closed the socket (code {}, {:?})", u16::from(close.code), close.reason.as_str())
                }
                Some(Ok(Message::Close(None))) => break "server closed the socket".to_string(),
                Some(Ok(_)) => {}
                Some(Err(e)) => break format!("socket error: {e}"),
                None => break "socket ended".to_string(),
            },
            cmd = out.recv() => match cmd {
                Some(Out::Frame(text)) => {
                    if let Err(e) = sink.send(Message::text(text)).await {
                        break format!("socket write failed: {e}");
                    }
                }
                Some(Out::Close) | None => {
                    let _ = sink.send(Message::Close(None)).await;
                    break "closed by the client".to_string();
                }
            },
            _ = tick.tick() => {
                if let Some(r) = &pending_heartbeat {
                    break format!("heartbeat ref {r} not answered within {heartbeat:?}");
                }
                let r = shared.next_ref();
                let frame = json!({"topic": "phoenix", "event": "heartbeat", "payload": {}, "ref": r});
                if let Err(e) = sink.send(Message::text(frame.to_string())).await {
                    break format!("socket write failed: {e}");
                }
                pending_heartbeat = Some(r);
            }
        }
    };
    shared.fail(reason);
}
