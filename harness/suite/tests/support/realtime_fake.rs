//! An in-process fake of supabase/realtime's Phoenix V1 socket for the realtime client's contract
//! test: join replies with binding ids, `presence_state`, the `system` "Subscribed to PostgreSQL"
//! message, `postgres_changes` addressed by ids, broadcast relay, heartbeats; it records every
//! protocol violation the client commits. `commit` routes a row change to the joined bindings as
//! realtime.apply_rls does (see `cdc`).

#![allow(dead_code)]

#[path = "realtime_cdc.rs"]
pub mod cdc;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use aiwah_suite::clients::realtime::{ChangeKind, PgChange};
use cdc::{RowChange, Subscription, Table};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::UnboundedSender;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;

pub const KEY: &str = "anon-key.for.tests";
pub const WAIT: Duration = Duration::from_secs(3);

#[derive(Default)]
pub struct State {
    /// What the server saw and did, in order: `join realtime:x`, `system realtime:x`, `leave ...`.
    pub log: Vec<String>,
    pub join_payloads: Vec<Value>,
    pub heartbeats: Vec<Value>,
    pub system_sent_at: HashMap<String, Instant>,
    pub violations: Vec<String>,
    pub conns: Vec<Conn>,
    pub next_id: i64,
    pub refuse: HashMap<String, String>,
    pub mute_joins: bool,
    pub no_system: bool,
    pub swap_echo: bool,
    pub system_delay: Duration,
    pub silent_heartbeats: bool,
}

pub struct Conn {
    pub tx: UnboundedSender<Value>,
    pub joins: HashMap<String, Joined>,
}

pub struct Joined {
    pub join_ref: String,
    pub receive_own: bool,
    pub ids: Vec<i64>,
    /// The bindings as realtime.subscription rows (ids, filters, the access token's claims).
    pub subscriptions: Vec<Subscription>,
}

impl State {
    pub fn send(&self, conn: usize, frame: Value) {
        let _ = self.conns[conn].tx.send(frame);
    }
}

/// Server frames in V1: no `join_ref` (Phoenix's V1 serializer keeps topic, event, payload, ref).
pub fn frame(topic: &str, event: &str, payload: Value, reference: Value) -> Value {
    json!({"topic": topic, "event": event, "payload": payload, "ref": reference})
}

#[derive(Clone)]
pub struct Fake {
    pub url: String,
    pub st: Arc<Mutex<State>>,
}

impl Fake {
    pub async fn start(setup: impl FnOnce(&mut State)) -> Fake {
        let mut state = State { next_id: 38_000_000, ..State::default() };
        setup(&mut state);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fake = Fake { url: format!("http://{}", listener.local_addr().unwrap()), st: Arc::new(Mutex::new(state)) };
        let server = fake.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(server.clone().serve(stream));
            }
        });
        fake
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.st.lock().unwrap()
    }

    pub async fn serve(self, stream: TcpStream) {
        let Ok(ws) = tokio_tungstenite::accept_hdr_async(stream, check_upgrade).await else { return };
        let (mut sink, mut source) = ws.split();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Value>();
        let conn = {
            let mut s = self.state();
            s.conns.push(Conn { tx, joins: HashMap::new() });
            s.conns.len() - 1
        };
        tokio::spawn(async move {
            while let Some(frame) = rx.recv().await {
                if sink.send(Message::text(frame.to_string())).await.is_err() {
                    break;
                }
            }
        });
        while let Some(Ok(msg)) = source.next().await {
            if let Message::Text(text) = msg {
                self.handle(conn, serde_json::from_str(text.as_str()).unwrap_or(Value::Null));
            }
        }
    }

    pub fn handle(&self, conn: usize, f: Value) {
        let mut s = self.state();
        // Phoenix's Message.from_map! requires these four keys.
        for key in ["topic", "event", "payload", "ref"] {
            if f.get(key).is_none() {
                s.violations.push(format!("frame without {key}: {f}"));
            }
        }
        let topic = f["topic"].as_str().unwrap_or_default().to_string();
        let (r, p) = (f["ref"].clone(), f["payload"].clone());
        match f["event"].as_str().unwrap_or_default() {
            "heartbeat" if topic == "phoenix" => {
                s.heartbeats.push(f.clone());
                if !s.silent_heartbeats {
                    s.send(conn, frame("phoenix", "phx_reply", json!({"status": "ok", "response": {}}), r));
                }
            }
            "phx_join" => self.join(&mut s, conn, &topic, &f),
            "broadcast" => {
                if p["type"] != "broadcast" || !p["event"].is_string() || p.get("payload").is_none() {
                    s.violations.push(format!("broadcast payload {p}"));
                }
                let targets: Vec<usize> = (0..s.conns.len()).filter(|&i| s.conns[i].joins.get(&topic).is_some_and(|j| i != conn || j.receive_own)).collect();
                for target in targets {
                    s.send(target, frame(&topic, "broadcast", p.clone(), Value::Null));
                }
            }
            "phx_leave" => {
                s.log.push(format!("leave {topic}"));
                let joined = s.conns[conn].joins.remove(&topic);
                s.send(conn, frame(&topic, "phx_reply", json!({"status": "ok", "response": {}}), r));
                if let Some(j) = joined {
                    s.send(conn, frame(&topic, "phx_close", json!({}), json!(j.join_ref)));
                }
            }
            "access_token" => s.log.push(format!("access_token {topic} {}", p["access_token"])),
            other => s.violations.push(format!("unexpected event {other:?} on {topic:?}")),
        }
    }

    pub fn join(&self, s: &mut State, conn: usize, topic: &str, f: &Value) {
        s.log.push(format!("join {topic}"));
        s.join_payloads.push(f["payload"].clone());
        let violations = join_violations(f);
        s.violations.extend(violations);
        if s.mute_joins {
            return;
        }
        let r = f["ref"].clone();
        if let Some(reason) = s.refuse.get(topic).cloned() {
            s.send(conn, frame(topic, "phx_reply", json!({"status": "error", "response": {"reason": reason}}), r));
            return;
        }
        let (mut ids, mut echoed, mut subscriptions) = (Vec::new(), Vec::new(), Vec::new());
        let claims = cdc::claims_of(f["payload"]["access_token"].as_str());
        for mut binding in f["payload"]["config"]["postgres_changes"].as_array().cloned().unwrap_or_default() {
            s.next_id += 1;
            ids.push(s.next_id);
            binding["id"] = json!(s.next_id);
            match Subscription::from_binding(&binding, &claims) {
                Ok(subscription) => subscriptions.push(subscription),
                Err(unmodelled) => s.violations.push(format!("phx_join: {unmodelled}")),
            }
            echoed.push(binding);
        }
        if s.swap_echo {
            echoed.reverse();
        }
        let receive_own = f["payload"]["config"]["broadcast"]["self"] == true;
        let join_ref = f["join_ref"].as_str().unwrap_or_default().to_string();
        s.conns[conn].joins.insert(topic.to_string(), Joined { join_ref, receive_own, ids: ids.clone(), subscriptions });
        s.send(conn, frame(topic, "phx_reply", json!({"status": "ok", "response": {"postgres_changes": echoed}}), r));
        s.send(conn, frame(topic, "presence_state", json!({}), Value::Null));
        if ids.is_empty() || s.no_system {
            return;
        }
        let (fake, topic, delay) = (self.clone(), topic.to_string(), s.system_delay);
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let mut s = fake.state();
            s.log.push(format!("system {topic}"));
            s.system_sent_at.insert(topic.clone(), Instant::now());
            let name = topic.trim_start_matches("realtime:");
            let payload = json!({"status": "ok", "extension": "postgres_changes", "channel": name, "message": "Subscribed to PostgreSQL"});
            s.send(conn, frame(&topic, "system", payload, Value::Null));
        });
    }

    /// Sends `postgres_changes` to every socket joined to `topic`, with the ids `pick` chooses.
    pub fn emit(&self, topic: &str, pick: impl Fn(&Joined) -> Vec<i64>, data: Value) {
        let s = self.state();
        for c in s.conns.iter() {
            if let Some(j) = c.joins.get(topic) {
                let _ = c.tx.send(frame(topic, "postgres_changes", json!({"ids": pick(j), "data": data}), Value::Null));
            }
        }
    }

    /// Commits `change` to `table`: every joined channel gets one `postgres_changes` frame with the
    /// ids of its bindings realtime.apply_rls finds it visible to (none: no frame).
    pub fn commit(&self, table: &Table, change: RowChange) {
        let s = self.state();
        for c in s.conns.iter() {
            for (topic, j) in c.joins.iter() {
                let Some((visible, data)) = table.route(&change, &j.subscriptions) else { continue };
                if !visible.is_empty() {
                    let ids: Vec<i64> = visible.iter().map(|sub| sub.id).collect();
                    let _ = c.tx.send(frame(topic, "postgres_changes", json!({"ids": ids, "data": data}), Value::Null));
                }
            }
        }
    }

    pub fn push(&self, topic: &str, event: &str, payload: Value) {
        let s = self.state();
        for c in s.conns.iter().filter(|c| c.joins.contains_key(topic)) {
            let _ = c.tx.send(frame(topic, event, payload.clone(), Value::Null));
        }
    }

    pub fn ids(&self, topic: &str) -> Vec<i64> {
        self.state().conns.iter().find_map(|c| c.joins.get(topic).map(|j| j.ids.clone())).unwrap_or_default()
    }

    pub fn assert_clean(&self) {
        let violations = self.state().violations.clone();
        assert!(violations.is_empty(), "protocol violations: {violations:#?}");
    }
}

/// realtime's socket path behind the gateway, with the apikey and vsn query realtime-js sends.
#[allow(clippy::result_large_err)] // the signature is tungstenite's handshake callback
pub fn check_upgrade(req: &Request, resp: Response) -> Result<Response, ErrorResponse> {
    let query: Vec<&str> = req.uri().query().unwrap_or("").split('&').collect();
    let apikey = format!("apikey={KEY}");
    if req.uri().path() == "/realtime/v1/websocket" && query.contains(&apikey.as_str()) && query.contains(&"vsn=1.0.0") {
        return Ok(resp);
    }
    let mut refused = ErrorResponse::new(Some("invalid apikey or path".to_string()));
    *refused.status_mut() = StatusCode::FORBIDDEN;
    Err(refused)
}

/// The join payload fields realtime validates (payloads/join.ex, payloads/config.ex).
pub fn join_violations(f: &Value) -> Vec<String> {
    let (p, mut found) = (&f["payload"], Vec::new());
    let c = &p["config"];
    let mut need = |ok: bool, what: &str| {
        if !ok {
            found.push(format!("phx_join: {what}: {f}"));
        }
    };
    need(f["ref"].is_string() && f["join_ref"] == f["ref"], "ref is a string equal to join_ref");
    need(c["broadcast"]["ack"].is_boolean() && c["broadcast"]["self"].is_boolean(), "config.broadcast {ack, self}");
    need(c["presence"]["key"].is_string() && c["presence"]["enabled"].is_boolean(), "config.presence {key, enabled}");
    need(c["private"].is_boolean(), "config.private boolean");
    need(p["access_token"].is_null() || p["access_token"].is_string(), "access_token string");
    match c["postgres_changes"].as_array() {
        None => need(false, "config.postgres_changes array"),
        Some(bindings) => {
            for b in bindings {
                need(["INSERT", "UPDATE", "DELETE", "*"].iter().any(|e| b["event"] == *e), "binding event");
                need(b["schema"].is_string() && b["table"].is_string(), "binding schema and table");
                need(b.get("filter").is_none_or(Value::is_string), "binding filter string or absent");
            }
        }
    }
    found
}

/// `payload.data` of a change to `public.todos`, shaped like realtime's (see postgres_changes_test.exs).
pub fn row(kind: ChangeKind, id: i64) -> Value {
    let mut data = json!({"schema": "public", "table": "todos", "commit_timestamp": cdc::COMMIT_TIMESTAMP,
        "type": kind.as_str(), "columns": [{"name": "id", "type": "int8"}, {"name": "title", "type": "text"}], "errors": null});
    if kind != ChangeKind::Delete {
        data["record"] = json!({"id": id, "title": format!("t{id}")});
    }
    if kind != ChangeKind::Insert {
        data["old_record"] = json!({"id": id});
    }
    data
}

pub fn inserts(table: &str) -> Vec<PgChange> {
    vec![PgChange::new(ChangeKind::Insert, "public", table)]
}
