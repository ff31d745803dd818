//! Contract test of the realtime client against an in-process fake that speaks realtime's Phoenix V1
//! protocol as supabase/realtime does: join reply echoing the postgres_changes bindings with ids,
//! `presence_state`, the `system` "Subscribed to PostgreSQL" message, `postgres_changes` addressed by
//! binding ids, broadcast relayed to the other joined sockets, heartbeats on `phoenix`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use aiwah_harness::clients::realtime::{ChangeKind, Latencies, Options, PgChange, Realtime, RealtimeError};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::UnboundedSender;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;

const KEY: &str = "anon-key.for.tests";
const WAIT: Duration = Duration::from_secs(3);

#[derive(Default)]
struct State {
    /// What the server saw and did, in order: `join realtime:x`, `system realtime:x`, `leave ...`.
    log: Vec<String>,
    join_payloads: Vec<Value>,
    heartbeats: Vec<Value>,
    system_sent_at: HashMap<String, Instant>,
    violations: Vec<String>,
    conns: Vec<Conn>,
    next_id: i64,
    refuse: HashMap<String, String>,
    mute_joins: bool,
    no_system: bool,
    swap_echo: bool,
    system_delay: Duration,
    silent_heartbeats: bool,
}

struct Conn {
    tx: UnboundedSender<Value>,
    joins: HashMap<String, Joined>,
}

struct Joined {
    join_ref: String,
    receive_own: bool,
    ids: Vec<i64>,
}

impl State {
    fn send(&self, conn: usize, frame: Value) {
        let _ = self.conns[conn].tx.send(frame);
    }
}

/// Server frames in V1: no `join_ref` (Phoenix's V1 serializer keeps topic, event, payload, ref).
fn frame(topic: &str, event: &str, payload: Value, reference: Value) -> Value {
    json!({"topic": topic, "event": event, "payload": payload, "ref": reference})
}

#[derive(Clone)]
struct Fake {
    url: String,
    st: Arc<Mutex<State>>,
}

impl Fake {
    async fn start(setup: impl FnOnce(&mut State)) -> Fake {
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

    fn state(&self) -> MutexGuard<'_, State> {
        self.st.lock().unwrap()
    }

    async fn serve(self, stream: TcpStream) {
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

    fn handle(&self, conn: usize, f: Value) {
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
                let targets: Vec<usize> = (0..s.conns.len())
                    .filter(|&i| s.conns[i].joins.get(&topic).is_some_and(|j| i != conn || j.receive_own))
                    .collect();
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

    fn join(&self, s: &mut State, conn: usize, topic: &str, f: &Value) {
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
        let (mut ids, mut echoed) = (Vec::new(), Vec::new());
        for mut binding in f["payload"]["config"]["postgres_changes"].as_array().cloned().unwrap_or_default() {
            s.next_id += 1;
            ids.push(s.next_id);
            binding["id"] = json!(s.next_id);
            echoed.push(binding);
        }
        if s.swap_echo {
            echoed.reverse();
        }
        let receive_own = f["payload"]["config"]["broadcast"]["self"] == true;
        let join_ref = f["join_ref"].as_str().unwrap_or_default().to_string();
        s.conns[conn].joins.insert(topic.to_string(), Joined { join_ref, receive_own, ids: ids.clone() });
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
    fn emit(&self, topic: &str, pick: impl Fn(&Joined) -> Vec<i64>, data: Value) {
        let s = self.state();
        for c in s.conns.iter() {
            if let Some(j) = c.joins.get(topic) {
                let _ = c.tx.send(frame(topic, "postgres_changes", json!({"ids": pick(j), "data": data}), Value::Null));
            }
        }
    }

    fn push(&self, topic: &str, event: &str, payload: Value) {
        let s = self.state();
        for c in s.conns.iter().filter(|c| c.joins.contains_key(topic)) {
            let _ = c.tx.send(frame(topic, event, payload.clone(), Value::Null));
        }
    }

    fn ids(&self, topic: &str) -> Vec<i64> {
        self.state().conns.iter().find_map(|c| c.joins.get(topic).map(|j| j.ids.clone())).unwrap_or_default()
    }

    fn assert_clean(&self) {
        let violations = self.state().violations.clone();
        assert!(violations.is_empty(), "protocol violations: {violations:#?}");
    }
}

/// realtime's socket path behind the gateway, with the apikey and vsn query realtime-js sends.
#[allow(clippy::result_large_err)] // the signature is tungstenite's handshake callback
fn check_upgrade(req: &Request, resp: Response) -> Result<Response, ErrorResponse> {
    let query: Vec<&str> = req.uri().query().unwrap_or("").split('&').collect();
    let apikey = format!("apikey={KEY}");
    if req.uri().path() == "/realtime/v1/websocket" && query.contains(&apikey.as_str()) && query.contains(&"vsn=1.0.0")
    {
        return Ok(resp);
    }
    let mut refused = ErrorResponse::new(Some("invalid apikey or path".to_string()));
    *refused.status_mut() = StatusCode::FORBIDDEN;
    Err(refused)
}

/// The join payload fields realtime validates (payloads/join.ex, payloads/config.ex).
fn join_violations(f: &Value) -> Vec<String> {
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
fn row(kind: &str, id: i64) -> Value {
    let mut data = json!({"schema": "public", "table": "todos", "commit_timestamp": "2025-01-01T00:00:00.000Z",
        "type": kind, "columns": [{"name": "id", "type": "int8"}, {"name": "title", "type": "text"}], "errors": null});
    if kind != "DELETE" {
        data["record"] = json!({"id": id, "title": format!("t{id}")});
    }
    if kind != "INSERT" {
        data["old_record"] = json!({"id": id});
    }
    data
}

fn inserts(table: &str) -> Vec<PgChange> {
    vec![PgChange::new("INSERT", "public", table)]
}

#[tokio::test]
async fn subscribe_returns_only_after_subscribed_to_postgresql() {
    let fake = Fake::start(|s| s.system_delay = Duration::from_millis(300)).await;
    let rt = Realtime::connect(&fake.url, KEY, WAIT).await.unwrap();
    let started = Instant::now();
    let ch = rt.subscribe_postgres_changes("todos", inserts("todos"), "user-jwt", WAIT).await.unwrap();
    let returned = Instant::now();
    let sent = fake.state().system_sent_at.get("realtime:todos").copied().expect("system message sent");
    assert!(returned >= sent, "subscribe returned {:?} before the system message", sent - returned);
    assert!(returned - started >= Duration::from_millis(300));
    let ids: Vec<Value> = fake.ids("realtime:todos").into_iter().map(Value::from).collect();
    assert_eq!(ch.binding_ids(), ids.as_slice());
    let payload = fake.state().join_payloads[0].clone();
    assert_eq!(payload["access_token"], "user-jwt");
    assert_eq!(
        payload["config"]["postgres_changes"],
        json!([{"event": "INSERT", "schema": "public", "table": "todos"}])
    );
    fake.assert_clean();
}

#[tokio::test]
async fn changes_are_routed_by_binding_ids() {
    let fake = Fake::start(|_| {}).await;
    let rt = Realtime::connect(&fake.url, KEY, WAIT).await.unwrap();
    let bindings =
        vec![PgChange::new("INSERT", "public", "todos"), PgChange::new("DELETE", "public", "todos").filter("id=eq.7")];
    let mut todos = rt.subscribe_postgres_changes("todos", bindings, "jwt", WAIT).await.unwrap();
    let mut notes =
        rt.subscribe_postgres_changes("notes", vec![PgChange::new("*", "public", "notes")], "jwt", WAIT).await.unwrap();
    let written = Instant::now();
    fake.emit("realtime:todos", |j| vec![j.ids[0]], row("INSERT", 7));
    let insert = todos.next_change(WAIT).await.unwrap();
    assert_eq!((insert.kind, insert.schema.as_str(), insert.table.as_str()), (ChangeKind::Insert, "public", "todos"));
    assert_eq!(insert.record, Some(json!({"id": 7, "title": "t7"})));
    assert_eq!((insert.old_record, insert.commit_timestamp.as_str()), (None, "2025-01-01T00:00:00.000Z"));
    assert!(insert.received_at >= written && insert.errors.is_empty());
    fake.emit("realtime:todos", |j| vec![j.ids[1]], row("DELETE", 7));
    let delete = todos.next_change(WAIT).await.unwrap();
    assert_eq!((delete.kind, delete.record, delete.old_record), (ChangeKind::Delete, None, Some(json!({"id": 7}))));
    notes.expect_no_change(Duration::from_millis(200)).await.unwrap();
    fake.assert_clean();
}

#[tokio::test]
async fn changes_with_foreign_ids_are_not_delivered() {
    let fake = Fake::start(|_| {}).await;
    let rt = Realtime::connect(&fake.url, KEY, WAIT).await.unwrap();
    let mut ch = rt.subscribe_postgres_changes("todos", inserts("todos"), "jwt", WAIT).await.unwrap();
    fake.emit("realtime:todos", |_| vec![424_242], row("INSERT", 1));
    ch.expect_no_change(Duration::from_millis(300)).await.unwrap();
    fake.emit("realtime:todos", |_| vec![424_242], row("INSERT", 2));
    fake.emit("realtime:todos", |j| vec![424_242, j.ids[0]], row("INSERT", 3));
    assert_eq!(ch.next_change(WAIT).await.unwrap().record.unwrap()["id"], 3);
    fake.emit("realtime:todos", |j| j.ids.clone(), row("INSERT", 4));
    let err = ch.expect_no_change(WAIT).await.unwrap_err();
    assert!(matches!(&err, RealtimeError::UnexpectedChange { change, .. } if change.contains("\"id\":4")), "{err}");
    fake.assert_clean();
}

#[tokio::test]
async fn mismatched_binding_echo_is_an_error() {
    let fake = Fake::start(|s| s.swap_echo = true).await;
    let rt = Realtime::connect(&fake.url, KEY, WAIT).await.unwrap();
    let bindings = vec![PgChange::new("INSERT", "public", "todos"), PgChange::new("UPDATE", "public", "todos")];
    let err = rt.subscribe_postgres_changes("todos", bindings, "jwt", WAIT).await.err().unwrap();
    assert!(matches!(&err, RealtimeError::Protocol { message, .. } if message.starts_with("binding #0")), "{err}");
}

#[tokio::test]
async fn join_refusal_surfaces_the_server_reason() {
    let reason = "Token has expired 12 seconds ago";
    let fake = Fake::start(|s| drop(s.refuse.insert("realtime:secret".into(), reason.into()))).await;
    let rt = Realtime::connect(&fake.url, KEY, WAIT).await.unwrap();
    let started = Instant::now();
    let err = rt.subscribe_postgres_changes("secret", inserts("todos"), "old-jwt", WAIT).await.err().unwrap();
    assert!(started.elapsed() < Duration::from_secs(1), "refusal waited for the deadline");
    let expected =
        RealtimeError::Server { waited_for: "phx_reply to phx_join on realtime:secret".into(), reason: reason.into() };
    assert_eq!(err, expected);
    assert!(err.to_string().contains(reason) && !err.to_string().contains("old-jwt"));
    rt.join_broadcast("open", false, WAIT).await.unwrap();
    fake.assert_clean();
}

#[tokio::test]
async fn system_error_after_subscribe_ends_the_wait_with_its_message() {
    let fake = Fake::start(|_| {}).await;
    let rt = Realtime::connect(&fake.url, KEY, WAIT).await.unwrap();
    let mut ch = rt.subscribe_postgres_changes("todos", inserts("todos"), "jwt", WAIT).await.unwrap();
    let message = "Token has expired 0 seconds ago";
    fake.push(
        "realtime:todos",
        "system",
        json!({"status": "error", "extension": "system", "channel": "todos", "message": message}),
    );
    fake.push("realtime:todos", "phx_close", json!({}));
    let err = ch.next_change(WAIT).await.unwrap_err();
    assert!(matches!(&err, RealtimeError::Server { reason, .. } if reason.contains(message)), "{err}");
    let started = Instant::now();
    let err = ch.next_change(WAIT).await.unwrap_err();
    assert!(matches!(&err, RealtimeError::Closed { reason, .. } if reason.contains("phx_close")), "{err}");
    let err = ch.next_broadcast(WAIT).await.unwrap_err();
    assert!(matches!(err, RealtimeError::Closed { .. }) && started.elapsed() < Duration::from_secs(1), "{err}");
}

#[tokio::test]
async fn broadcast_reaches_other_sockets_and_the_sender_only_with_self() {
    let fake = Fake::start(|_| {}).await;
    let (a, b) = (
        Realtime::connect(&fake.url, KEY, WAIT).await.unwrap(),
        Realtime::connect(&fake.url, KEY, WAIT).await.unwrap(),
    );
    let mut from = a.join_broadcast("room", false, WAIT).await.unwrap();
    let mut to = b.join_broadcast("room", false, WAIT).await.unwrap();
    from.broadcast("ping", json!({"n": 1})).unwrap();
    assert_eq!(to.next_broadcast(WAIT).await.unwrap(), ("ping".to_string(), json!({"n": 1})));
    let err = from.next_broadcast(Duration::from_millis(200)).await.unwrap_err();
    assert!(matches!(err, RealtimeError::Timeout { .. }), "sender got its own broadcast: {err}");
    let mut own = a.join_broadcast("echo", true, WAIT).await.unwrap();
    own.broadcast("me", json!({"x": true})).unwrap();
    assert_eq!(own.next_broadcast(WAIT).await.unwrap(), ("me".to_string(), json!({"x": true})));
    let payloads = fake.state().join_payloads.clone();
    assert_eq!(
        (payloads[0]["config"]["broadcast"]["self"].clone(), payloads[2]["config"]["broadcast"]["self"].clone()),
        (json!(false), json!(true))
    );
    assert!(payloads.iter().all(|p| p.get("access_token").is_none() && p["config"]["postgres_changes"] == json!([])));
    fake.assert_clean();
}

#[tokio::test]
async fn deadline_errors_name_what_was_waited_for() {
    let short = Duration::from_millis(200);
    let mute = Fake::start(|s| s.mute_joins = true).await;
    let rt = Realtime::connect(&mute.url, KEY, WAIT).await.unwrap();
    let err = rt.subscribe_postgres_changes("todos", inserts("todos"), "jwt", short).await.err().unwrap();
    assert_eq!(err.to_string(), "realtime: no phx_reply to phx_join on realtime:todos within 200ms");

    let unsubscribed = Fake::start(|s| s.no_system = true).await;
    let rt = Realtime::connect(&unsubscribed.url, KEY, WAIT).await.unwrap();
    let started = Instant::now();
    let err = rt.subscribe_postgres_changes("todos", inserts("todos"), "jwt", short).await.err().unwrap();
    assert!(started.elapsed() >= short && started.elapsed() < WAIT);
    assert!(
        matches!(&err, RealtimeError::Timeout { waited_for, deadline } if waited_for.contains("Subscribed to PostgreSQL") && *deadline == short),
        "{err}"
    );

    let fake = Fake::start(|_| {}).await;
    let rt = Realtime::connect(&fake.url, KEY, WAIT).await.unwrap();
    let mut ch = rt.subscribe_postgres_changes("todos", inserts("todos"), "jwt", WAIT).await.unwrap();
    let err = ch.next_change(short).await.unwrap_err();
    assert_eq!(err.to_string(), "realtime: no postgres_changes on realtime:todos within 200ms");
}

#[tokio::test]
async fn heartbeats_go_out_on_the_interval() {
    assert_eq!(Options::default().heartbeat, Duration::from_secs(25));
    let fake = Fake::start(|_| {}).await;
    let rt =
        Realtime::connect_with(&fake.url, KEY, WAIT, Options { heartbeat: Duration::from_millis(50) }).await.unwrap();
    tokio::time::sleep(Duration::from_millis(330)).await;
    let beats = fake.state().heartbeats.clone();
    assert!((4..=8).contains(&beats.len()), "{} heartbeats in 330ms at 50ms", beats.len());
    for beat in &beats {
        assert_eq!((beat["event"].clone(), beat["payload"].clone()), (json!("heartbeat"), json!({})));
        assert!(beat["ref"].is_string());
    }
    rt.join_broadcast("still-up", false, WAIT).await.unwrap();
    fake.assert_clean();
}

#[tokio::test]
async fn unanswered_heartbeat_closes_the_socket_and_fails_waits() {
    let fake = Fake::start(|s| s.silent_heartbeats = true).await;
    let rt =
        Realtime::connect_with(&fake.url, KEY, WAIT, Options { heartbeat: Duration::from_millis(100) }).await.unwrap();
    let mut ch = rt.subscribe_postgres_changes("todos", inserts("todos"), "jwt", WAIT).await.unwrap();
    let started = Instant::now();
    let err = ch.next_change(WAIT).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1), "wait was not failed when the socket closed");
    assert!(matches!(&err, RealtimeError::Closed { reason, .. } if reason.contains("heartbeat")), "{err}");
    let err = rt.join_broadcast("later", false, WAIT).await.err().unwrap();
    assert!(matches!(err, RealtimeError::Closed { .. }), "{err}");
}

#[tokio::test]
async fn refused_upgrade_does_not_leak_the_key() {
    let fake = Fake::start(|_| {}).await;
    let err = Realtime::connect(&fake.url, "wrong-secret/key", WAIT).await.err().unwrap();
    let line = err.to_string();
    assert!(line.contains("HTTP 403") && line.contains("apikey=<redacted>&vsn=1.0.0"), "{line}");
    assert!(!line.contains("wrong-secret") && !line.contains("%2F"), "{line}");
}

#[tokio::test]
async fn leave_token_refresh_and_drop() {
    let fake = Fake::start(|_| {}).await;
    let rt = Realtime::connect(&fake.url, KEY, WAIT).await.unwrap();
    let ch = rt.subscribe_postgres_changes("todos", inserts("todos"), "jwt", WAIT).await.unwrap();
    ch.set_access_token("fresh-jwt").unwrap();
    ch.leave(WAIT).await.unwrap();
    let again = rt.subscribe_postgres_changes("todos", inserts("todos"), "jwt", WAIT).await.unwrap();
    drop(again);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let log = fake.state().log.clone();
    assert!(log.contains(&"access_token realtime:todos \"fresh-jwt\"".to_string()), "{log:?}");
    assert_eq!(log.iter().filter(|l| *l == "leave realtime:todos").count(), 2, "{log:?}");
    rt.close().await;
    fake.assert_clean();
}

#[test]
fn latencies_use_nearest_rank() {
    let latencies = Latencies((1..=20).rev().map(Duration::from_millis).collect());
    assert_eq!((latencies.p50(), latencies.p95()), (Some(Duration::from_millis(10)), Some(Duration::from_millis(19))));
    assert_eq!(latencies.summary(), "n=20 p50=10ms p95=19ms");
    assert_eq!(Latencies::default().summary(), "n=0");
}
