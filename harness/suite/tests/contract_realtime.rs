//! Contract test of the realtime client against an in-process fake that speaks realtime's Phoenix V1
//! protocol as supabase/realtime does: join reply echoing the postgres_changes bindings with ids,
//! `presence_state`, the `system` "Subscribed to PostgreSQL" message, `postgres_changes` addressed by
//! binding ids, broadcast relayed to the other joined sockets, heartbeats on `phoenix`.

#[path = "support/realtime_fake.rs"]
mod fake;

use std::time::{Duration, Instant};

use aiwah_suite::clients::realtime::{Change, ChangeKind, Channel, Events, Latencies, Options, PgChange, Realtime, RealtimeError, ReplicaIdentity};
use aiwah_suite::steps::realtime::check_delete_of;
use fake::cdc::{self, RowChange, Table};
use fake::*;
use serde_json::{Value, json};

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
    assert_eq!(payload["config"]["postgres_changes"], json!([{"event": "INSERT", "schema": "public", "table": "todos"}]));
    fake.assert_clean();
}

#[tokio::test]
async fn changes_are_routed_by_binding_ids() {
    let fake = Fake::start(|_| {}).await;
    let rt = Realtime::connect(&fake.url, KEY, WAIT).await.unwrap();
    let bindings = vec![PgChange::new(ChangeKind::Insert, "public", "todos"), PgChange::new(ChangeKind::Delete, "public", "todos").filter("id=eq.7")];
    let mut todos = rt.subscribe_postgres_changes("todos", bindings, "jwt", WAIT).await.unwrap();
    let mut notes = rt.subscribe_postgres_changes("notes", vec![PgChange::new(Events::All, "public", "notes")], "jwt", WAIT).await.unwrap();
    let written = Instant::now();
    fake.emit("realtime:todos", |j| vec![j.ids[0]], row(ChangeKind::Insert, 7));
    let insert = todos.next_change(WAIT).await.unwrap();
    assert_eq!((insert.kind, insert.schema.as_str(), insert.table.as_str()), (ChangeKind::Insert, "public", "todos"));
    assert_eq!(insert.record, Some(json!({"id": 7, "title": "t7"})));
    assert_eq!((insert.old_record, insert.commit_timestamp.as_str()), (None, "2025-01-01T00:00:00.000Z"));
    assert!(insert.received_at >= written && insert.errors.is_empty());
    fake.emit("realtime:todos", |j| vec![j.ids[1]], row(ChangeKind::Delete, 7));
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
    fake.emit("realtime:todos", |_| vec![424_242], row(ChangeKind::Insert, 1));
    ch.expect_no_change(Duration::from_millis(300)).await.unwrap();
    fake.emit("realtime:todos", |_| vec![424_242], row(ChangeKind::Insert, 2));
    fake.emit("realtime:todos", |j| vec![424_242, j.ids[0]], row(ChangeKind::Insert, 3));
    assert_eq!(ch.next_change(WAIT).await.unwrap().record.unwrap()["id"], 3);
    fake.emit("realtime:todos", |j| j.ids.clone(), row(ChangeKind::Insert, 4));
    let err = ch.expect_no_change(WAIT).await.unwrap_err();
    assert!(matches!(&err, RealtimeError::UnexpectedChange { change, .. } if change.contains("\"id\":4")), "{err}");
    fake.assert_clean();
}

#[tokio::test]
async fn mismatched_binding_echo_is_an_error() {
    let fake = Fake::start(|s| s.swap_echo = true).await;
    let rt = Realtime::connect(&fake.url, KEY, WAIT).await.unwrap();
    let bindings = vec![PgChange::new(ChangeKind::Insert, "public", "todos"), PgChange::new(ChangeKind::Update, "public", "todos")];
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
    let expected = RealtimeError::Server { waited_for: "phx_reply to phx_join on realtime:secret".into(), reason: reason.into() };
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
    fake.push("realtime:todos", "system", json!({"status": "error", "extension": "system", "channel": "todos", "message": message}));
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
    let (a, b) = (Realtime::connect(&fake.url, KEY, WAIT).await.unwrap(), Realtime::connect(&fake.url, KEY, WAIT).await.unwrap());
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
    assert_eq!((payloads[0]["config"]["broadcast"]["self"].clone(), payloads[2]["config"]["broadcast"]["self"].clone()), (json!(false), json!(true)));
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
    assert!(matches!(&err, RealtimeError::Timeout { waited_for, deadline } if waited_for.contains("Subscribed to PostgreSQL") && *deadline == short), "{err}");

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
    let rt = Realtime::connect_with(&fake.url, KEY, WAIT, Options { heartbeat: Duration::from_millis(50) }).await.unwrap();
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
    let rt = Realtime::connect_with(&fake.url, KEY, WAIT, Options { heartbeat: Duration::from_millis(100) }).await.unwrap();
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

const ALICE: &str = "a11ce000-0000-4000-8000-000000000001";
const BOB: &str = "b0b00000-0000-4000-8000-000000000002";

/// A subscriber to every change of public.todos, as the steps subscribe: with the user's JWT, and
/// filtered on `user_id` when `own_only`.
async fn subscriber(fake: &Fake, user: &str, own_only: bool) -> (Realtime, Channel) {
    let rt = Realtime::connect(&fake.url, KEY, WAIT).await.unwrap();
    let mut binding = PgChange::new(Events::All, "public", "todos");
    if own_only {
        binding = binding.filter(&format!("user_id=eq.{user}"));
    }
    let channel = rt.subscribe_postgres_changes(&format!("todos-{user}"), vec![binding], &cdc::token_for(user), WAIT).await.unwrap();
    (rt, channel)
}

#[tokio::test]
async fn with_the_apps_migrations_an_owner_filtered_subscriber_gets_her_deletes() {
    let table = Table::todos_from(&cdc::migrations_dir());
    assert_eq!((table.rls, table.primary_key.clone()), (true, vec!["id".to_string()]), "{table:?}");
    let fake = Fake::start(|_| {}).await;
    let (_socket, mut alice) = subscriber(&fake, ALICE, true).await;
    let (mine, theirs) = (cdc::todo(7, ALICE, "buy milk"), cdc::todo(8, BOB, "walk the dog"));
    fake.commit(&table, RowChange::Insert(theirs.clone()));
    fake.commit(&table, RowChange::Insert(mine.clone()));
    assert_eq!(alice.next_change(WAIT).await.unwrap().record, Some(mine.clone()));
    fake.commit(&table, RowChange::Delete(theirs));
    fake.commit(&table, RowChange::Delete(mine));
    let delete =
        alice.next_change(WAIT).await.expect("alice's own DELETE: realtime matches user_id=eq against the replica identity (fixtures/sql must set it FULL)");
    check_delete_of(&delete, "7").unwrap();
    alice.expect_no_change(Duration::from_millis(200)).await.unwrap();
    fake.assert_clean();
}

#[tokio::test]
async fn without_full_replica_identity_an_owner_filter_never_matches_a_delete() {
    let only_0001 = tempfile::tempdir().unwrap();
    std::fs::copy(cdc::migrations_dir().join("0001_todos.sql"), only_0001.path().join("0001_todos.sql")).unwrap();
    let table = Table::todos_from(only_0001.path());
    assert_eq!(table.identity, ReplicaIdentity::Default);
    let fake = Fake::start(|_| {}).await;
    let (_a, mut alice) = subscriber(&fake, ALICE, true).await;
    let (_b, mut everything) = subscriber(&fake, BOB, false).await;
    let mine = cdc::todo(7, ALICE, "buy milk");
    fake.commit(&table, RowChange::Insert(mine.clone()));
    assert_eq!(alice.next_change(WAIT).await.unwrap().kind, ChangeKind::Insert);
    fake.commit(&table, RowChange::Delete(mine));
    // The unfiltered subscriber gets the DELETE (so it was committed and routed); the filtered one never does.
    check_delete_of(&everything.next_change(WAIT).await.unwrap(), "7").unwrap();
    alice.expect_no_change(Duration::from_millis(300)).await.unwrap();
    fake.assert_clean();
}

#[tokio::test]
async fn an_unfiltered_subscriber_gets_another_users_delete_with_only_its_key() {
    let table = Table::todos_from(&cdc::migrations_dir());
    let fake = Fake::start(|_| {}).await;
    let (_socket, mut bob) = subscriber(&fake, BOB, false).await;
    let (secret, own) = (cdc::todo(7, ALICE, "alice's secret"), cdc::todo(8, BOB, "walk the dog"));
    fake.commit(&table, RowChange::Insert(secret.clone()));
    fake.commit(&table, RowChange::Insert(own.clone()));
    // RLS hides alice's INSERT: bob's own is the first change he sees.
    assert_eq!(bob.next_change(WAIT).await.unwrap().record, Some(own));
    fake.commit(&table, RowChange::Delete(secret));
    // RLS is not applied to deletes; with RLS on, old_record is the primary key only, even under FULL.
    check_delete_of(&bob.next_change(WAIT).await.unwrap(), "7").unwrap();
    fake.assert_clean();
}

#[test]
fn a_delete_check_accepts_only_the_bare_key() {
    let delete = |old: Value| Change {
        kind: ChangeKind::Delete,
        schema: "public".into(),
        table: "todos".into(),
        record: None,
        old_record: Some(old),
        commit_timestamp: cdc::COMMIT_TIMESTAMP.into(),
        errors: Vec::new(),
        received_at: Instant::now(),
    };
    check_delete_of(&delete(json!({"id": 7})), "7").unwrap();
    for wrong in [json!({"id": 8}), json!({"id": "7"}), json!({"id": 7, "user_id": ALICE}), json!({})] {
        assert!(check_delete_of(&delete(wrong.clone()), "7").is_err(), "{wrong}");
    }
    let insert = Change { kind: ChangeKind::Insert, record: Some(json!({"id": 7})), old_record: None, ..delete(json!({})) };
    assert!(check_delete_of(&insert, "7").is_err());
}

#[tokio::test]
async fn no_own_broadcast_passes_only_on_silence() {
    let fake = Fake::start(|_| {}).await;
    let (a, b) = (Realtime::connect(&fake.url, KEY, WAIT).await.unwrap(), Realtime::connect(&fake.url, KEY, WAIT).await.unwrap());
    let mut sender = a.join_broadcast("room", false, WAIT).await.unwrap();
    let other = b.join_broadcast("room", false, WAIT).await.unwrap();
    sender.broadcast("message", json!({"text": "hello"})).unwrap();
    sender.expect_no_broadcast(Duration::from_millis(200)).await.unwrap();
    other.broadcast("message", json!({"text": "hi"})).unwrap();
    let err = sender.expect_no_broadcast(WAIT).await.unwrap_err();
    assert!(matches!(&err, RealtimeError::UnexpectedBroadcast { broadcast, .. } if broadcast.contains("hi")), "{err}");
    fake.push("realtime:room", "phx_close", json!({}));
    let started = Instant::now();
    let err = sender.expect_no_broadcast(WAIT).await.unwrap_err();
    assert!(matches!(err, RealtimeError::Closed { .. }) && started.elapsed() < Duration::from_secs(1), "a closed channel passed as silence: {err}");
    fake.assert_clean();
}
