//! Realtime through Kong's websocket route: postgres_changes per user (RLS applied by realtime),
//! broadcast between clients, and the delivery latency of a burst of writes.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use cucumber::{given, then, when};
use serde_json::json;

use crate::clients::realtime::{Change, ChangeKind, Channel, Latencies, PgChange, Realtime};
use crate::steps::AiwahWorld;

const JOIN: Duration = Duration::from_secs(15);

#[derive(Default)]
pub struct State {
    sockets: Vec<Realtime>,
    channels: BTreeMap<String, Channel>,
    /// The todo the last write made (id) and when each write was committed by us.
    last_todo: Option<String>,
    written_at: Vec<Instant>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "realtime::State {{ channels: {:?} }}", self.channels.keys().collect::<Vec<_>>())
    }
}

async fn connect(w: &mut AiwahWorld) -> Result<usize, String> {
    let anon = w.suite.secret("ANON_KEY").map_err(|p| p.to_string())?;
    let socket = Realtime::connect(&w.suite.gateway, &anon, JOIN).await.map_err(|e| e.to_string())?;
    w.realtime.sockets.push(socket);
    Ok(w.realtime.sockets.len() - 1)
}

async fn subscribe(w: &mut AiwahWorld, name: &str, own_only: bool) -> Result<(), String> {
    let token = w.token_for(name)?;
    let id = w.user(name)?.id.clone();
    let socket = connect(w).await?;
    let mut change = PgChange::new("*", "public", "todos");
    if own_only {
        change = change.filter(&format!("user_id=eq.{id}"));
    }
    let channel =
        w.realtime.sockets[socket].subscribe_postgres_changes(&format!("todos-{name}"), vec![change], &token, JOIN).await.map_err(|e| e.to_string())?;
    w.realtime.channels.insert(name.to_string(), channel);
    Ok(())
}

fn channel<'a>(w: &'a mut AiwahWorld, name: &str) -> Result<&'a mut Channel, String> {
    w.realtime.channels.get_mut(name).ok_or_else(|| format!("{name} has not subscribed"))
}

#[given(expr = "{string} subscribes to changes of her todos")]
async fn subscribes_own(w: &mut AiwahWorld, name: String) -> Result<(), String> {
    subscribe(w, &name, true).await
}

#[given(expr = "{string} subscribes to changes of all todos")]
async fn subscribes_all(w: &mut AiwahWorld, name: String) -> Result<(), String> {
    subscribe(w, &name, false).await
}

#[when(expr = "a todo {string} is written for {string}")]
async fn todo_written(w: &mut AiwahWorld, title: String, owner: String) -> Result<(), String> {
    w.realtime.last_todo = Some(w.write_todo(&owner, &title).await?);
    Ok(())
}

#[when("that todo is marked done")]
async fn todo_done(w: &mut AiwahWorld) -> Result<(), String> {
    let id = w.realtime.last_todo.clone().ok_or("no todo written yet")?;
    w.db().await?.admin("update public.todos set done = true where id = $1::text::bigint", &[&id]).await.map(|_| ()).map_err(|e| e.to_string())
}

#[when("that todo is deleted")]
async fn todo_deleted(w: &mut AiwahWorld) -> Result<(), String> {
    let id = w.realtime.last_todo.clone().ok_or("no todo written yet")?;
    w.db().await?.admin("delete from public.todos where id = $1::text::bigint", &[&id]).await.map(|_| ()).map_err(|e| e.to_string())
}

async fn receive(w: &mut AiwahWorld, name: &str, kind: ChangeKind, seconds: u64) -> Result<Change, String> {
    let change = channel(w, name)?.next_change(Duration::from_secs(seconds)).await.map_err(|e| e.to_string())?;
    if change.kind != kind {
        return Err(format!("{name} received {:?}, expected {kind:?}", change.kind));
    }
    Ok(change)
}

#[then(expr = "{string} receives an INSERT of {string} within {int} seconds")]
async fn receives_insert(w: &mut AiwahWorld, name: String, title: String, seconds: u64) -> Result<(), String> {
    let change = receive(w, &name, ChangeKind::Insert, seconds).await?;
    let got = change.record.as_ref().and_then(|r| r["title"].as_str()).unwrap_or_default().to_string();
    if got == title { Ok(()) } else { Err(format!("INSERT of {got:?}, expected {title:?}")) }
}

#[then(expr = "{string} receives an UPDATE of {string} within {int} seconds")]
async fn receives_update(w: &mut AiwahWorld, name: String, title: String, seconds: u64) -> Result<(), String> {
    let change = receive(w, &name, ChangeKind::Update, seconds).await?;
    let record = change.record.unwrap_or_default();
    if record["title"] == title.as_str() && record["done"] == true { Ok(()) } else { Err(format!("UPDATE carried {record}")) }
}

#[then(expr = "{string} receives a DELETE within {int} seconds")]
async fn receives_delete(w: &mut AiwahWorld, name: String, seconds: u64) -> Result<(), String> {
    receive(w, &name, ChangeKind::Delete, seconds).await.map(|_| ())
}

#[then(expr = "{string} receives nothing within {int} seconds")]
async fn receives_nothing(w: &mut AiwahWorld, name: String, seconds: u64) -> Result<(), String> {
    channel(w, &name)?.expect_no_change(Duration::from_secs(seconds)).await.map_err(|e| e.to_string())
}

#[given(expr = "{string} and {string} join the broadcast channel {string}")]
async fn join_broadcast(w: &mut AiwahWorld, a: String, b: String, room: String) -> Result<(), String> {
    for name in [a, b] {
        let socket = connect(w).await?;
        let channel = w.realtime.sockets[socket].join_broadcast(&room, false, JOIN).await.map_err(|e| e.to_string())?;
        w.realtime.channels.insert(name, channel);
    }
    Ok(())
}

#[when(expr = "{string} broadcasts {string} on it")]
async fn broadcasts(w: &mut AiwahWorld, name: String, message: String) -> Result<(), String> {
    channel(w, &name)?.broadcast("message", json!({ "text": message })).map_err(|e| e.to_string())
}

#[then(expr = "{string} receives the broadcast {string} within {int} seconds")]
async fn receives_broadcast(w: &mut AiwahWorld, name: String, message: String, seconds: u64) -> Result<(), String> {
    let (event, payload) = channel(w, &name)?.next_broadcast(Duration::from_secs(seconds)).await.map_err(|e| e.to_string())?;
    if event == "message" && payload["text"] == message.as_str() { Ok(()) } else { Err(format!("received {event} {payload}")) }
}

#[then(expr = "{string} does not receive her own broadcast")]
async fn not_own(w: &mut AiwahWorld, name: String) -> Result<(), String> {
    match channel(w, &name)?.next_broadcast(Duration::from_secs(2)).await {
        Ok((event, payload)) => Err(format!("{name} received her own broadcast {event} {payload}")),
        Err(_) => Ok(()),
    }
}

#[when(expr = "{int} todos are written for {string} one after another")]
async fn burst(w: &mut AiwahWorld, n: usize, owner: String) -> Result<(), String> {
    for i in 0..n {
        w.write_todo(&owner, &format!("burst {i}")).await?;
        w.realtime.written_at.push(Instant::now());
    }
    Ok(())
}

#[then(expr = "{string} receives all {int} INSERTs and the p50 and p95 delivery latency is reported")]
async fn latency(w: &mut AiwahWorld, name: String, n: usize) -> Result<(), String> {
    let written = w.realtime.written_at.clone();
    let mut latencies = Latencies::default();
    for (i, at) in written.iter().enumerate().take(n) {
        let change = receive(w, &name, ChangeKind::Insert, 10).await.map_err(|e| format!("INSERT {} of {n}: {e}", i + 1))?;
        // The write returns after commit; delivery is measured from there (same host clock).
        latencies.push(change.received_at.saturating_duration_since(*at));
    }
    println!("realtime delivery latency: {}", latencies.summary());
    Ok(())
}
