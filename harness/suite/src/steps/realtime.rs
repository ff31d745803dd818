//! Realtime through Kong's websocket route: postgres_changes per user (RLS applied by realtime to
//! inserts and updates; deletes reach every subscriber whose filter the old row passes, carrying only
//! the primary key), broadcast between clients, the delivery latency of a burst of writes — and, in
//! the database, the old row a delete hands to Realtime's logical decoding.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use cucumber::{given, then, when};
use serde_json::json;

use crate::clients::realtime::{Change, ChangeKind, Channel, Events, Latencies, PgChange, Realtime, ReplicaIdentity};
use crate::steps::AiwahWorld;

const JOIN: Duration = Duration::from_secs(15);

#[derive(Default)]
pub struct State {
    sockets: Vec<Realtime>,
    channels: BTreeMap<String, Channel>,
    /// When each write of a burst was committed by us.
    written_at: Vec<Instant>,
    /// The temporary logical replication slot watching the database, if any.
    decoding_slot: Option<String>,
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
    let mut change = PgChange::new(Events::All, "public", "todos");
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
    w.write_todo(&owner, &title).await.map(|_| ())
}

fn todo_id(w: &AiwahWorld, title: &str) -> Result<String, String> {
    w.todos.get(title).cloned().ok_or_else(|| format!("no todo {title:?} was written in this scenario"))
}

/// Runs `sql` (one `$1` parameter: the todo's id) as the admin and requires it to touch exactly one row.
async fn change_todo(w: &mut AiwahWorld, title: &str, sql: &str) -> Result<(), String> {
    let id = todo_id(w, title)?;
    let rows = w.db().await?.admin(sql, &[&id]).await.map_err(|e| e.to_string())?;
    if rows.len() == 1 { Ok(()) } else { Err(format!("{sql}: touched {} rows for todo {title:?} (id {id}), expected 1", rows.len())) }
}

#[when(expr = "the todo {string} is marked done")]
async fn todo_done(w: &mut AiwahWorld, title: String) -> Result<(), String> {
    change_todo(w, &title, "update public.todos set done = true where id = $1::text::bigint returning id").await
}

#[when(expr = "the todo {string} is deleted")]
async fn todo_deleted(w: &mut AiwahWorld, title: String) -> Result<(), String> {
    change_todo(w, &title, "delete from public.todos where id = $1::text::bigint returning id").await
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

/// A DELETE of the todo with primary key `id` whose `old_record` holds that key and nothing else —
/// what realtime sends for a table with row level security, whatever its replica identity.
pub fn check_delete_of(change: &Change, id: &str) -> Result<(), String> {
    let key: i64 = id.parse().map_err(|_| format!("todo id {id:?} is not a bigint"))?;
    if change.kind != ChangeKind::Delete || change.record.is_some() {
        return Err(format!("expected a DELETE without record, got {:?} with record {:?}", change.kind, change.record));
    }
    match &change.old_record {
        Some(old) if *old == json!({ "id": key }) => Ok(()),
        other => Err(format!("DELETE old_record {other:?}, expected exactly {{\"id\": {key}}}")),
    }
}

#[then(expr = "{string} receives a DELETE of {string} carrying only its id within {int} seconds")]
async fn receives_delete(w: &mut AiwahWorld, name: String, title: String, seconds: u64) -> Result<(), String> {
    let id = todo_id(w, &title)?;
    let change = receive(w, &name, ChangeKind::Delete, seconds).await?;
    check_delete_of(&change, &id).map_err(|e| format!("{name}, DELETE of {title:?}: {e}"))
}

#[then(expr = "{string} receives nothing more within {int} seconds")]
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
    // Only silence until the deadline passes: a closed socket or channel is a failure.
    channel(w, &name)?.expect_no_broadcast(Duration::from_secs(2)).await.map_err(|e| e.to_string())
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

#[given("logical decoding watches the database")]
async fn decoding_watches(w: &mut AiwahWorld) -> Result<(), String> {
    // test_decoding ships with PostgreSQL; it reads the same old row from the WAL as realtime's wal2json.
    // Temporary: the slot goes away with this scenario's connection, whatever happens.
    let slot = format!("aiwah_check_{}", aiwah_harness::secrets::random::from_alphabet(b"abcdefghijklmnopqrstuvwxyz0123456789", 12));
    let sql = "select pg_create_logical_replication_slot($1::text::name, 'test_decoding', true)::text";
    w.db().await?.admin(sql, &[&slot]).await.map_err(|e| format!("creating logical replication slot {slot}: {e}"))?;
    w.realtime.decoding_slot = Some(slot);
    Ok(())
}

#[then(expr = "the decoded DELETE of {string} names its owner {string}")]
async fn decoded_delete(w: &mut AiwahWorld, title: String, owner: String) -> Result<(), String> {
    let slot = w.realtime.decoding_slot.clone().ok_or("no logical decoding slot (a Given step creates it)")?;
    let (id, owner_id) = (todo_id(w, &title)?, w.user(&owner)?.id.clone());
    let sql = "select data from pg_logical_slot_get_changes($1::text::name, null, null) where data like 'table public.todos: DELETE:%'";
    let rows = w.db().await?.admin(sql, &[&slot]).await.map_err(|e| format!("reading slot {slot}: {e}"))?;
    let deletes: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    // test_decoding: `table public.todos: DELETE: id[bigint]:7 user_id[uuid]:'…' …` (only `id[bigint]:7` without FULL).
    let key = format!("id[bigint]:{id}");
    let line = deletes
        .iter()
        .find(|d| d.split(' ').any(|word| word == key))
        .ok_or_else(|| format!("slot {slot} decoded no DELETE of todo {title:?} ({key}); it decoded {} deletes of public.todos", deletes.len()))?;
    if line.contains(&format!("user_id[uuid]:'{owner_id}'")) {
        Ok(())
    } else {
        Err(format!("the DELETE realtime reads carries no owner: {line:?} (public.todos needs replica identity full for user_id filters)"))
    }
}

#[then(expr = "the replica identity of the table {string} is {word}")]
async fn replica_identity(w: &mut AiwahWorld, table: String, expected: String) -> Result<(), String> {
    let expected = ReplicaIdentity::from_sql(&expected).ok_or_else(|| format!("{expected:?} is not a replica identity (FULL, DEFAULT, NOTHING)"))?;
    let rows = w.db().await?.admin("select relreplident::text from pg_class where oid = $1::text::regclass", &[&table]).await.map_err(|e| e.to_string())?;
    let code: String = rows.first().map(|r| r.get(0)).ok_or_else(|| format!("no table {table}"))?;
    let found = ReplicaIdentity::from_relreplident(&code).ok_or_else(|| format!("{table}: relreplident {code:?} is unknown"))?;
    if found == expected { Ok(()) } else { Err(format!("{table} has replica identity {found:?}, expected {expected:?}")) }
}
