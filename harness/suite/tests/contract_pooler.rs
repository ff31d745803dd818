//! Contract tests for the Supavisor client against an in-process fake of Supavisor's transaction
//! port (tests/support/pooler_fake.rs): the user name carries the tenant (`postgres.<tenant>`, as
//! upstream's smoke test connects), queries use the simple protocol only, and the pooler's
//! refusals (unknown tenant `XX000`, wrong password `28P01`) fail at once instead of being retried.

#[path = "support/pooler_fake.rs"]
mod pooler_fake;

use std::time::Duration;

use aiwah_suite::clients::pooler::{Pooler, pooled_user};
use pooler_fake::PoolerFake;

const TENANT: &str = "aiwah";
const PASSWORD: &str = "pw-of-postgres";
const DEADLINE: Duration = Duration::from_secs(20);

#[tokio::test]
async fn a_query_runs_as_postgres_dot_tenant_with_the_simple_protocol() {
    let fake = PoolerFake::start(TENANT, PASSWORD).await;
    let pooler = Pooler::connect("127.0.0.1", fake.port, "postgres", TENANT, PASSWORD, "postgres", DEADLINE).await.unwrap();
    assert_eq!(pooler.target, format!("postgres.aiwah@127.0.0.1:{}/postgres", fake.port));
    assert_eq!(pooler.simple_query("select 'pooler_ok'").await.unwrap(), vec![vec![Some("pooler_ok".to_owned())]]);
    let seen = fake.seen.lock().unwrap();
    assert_eq!(seen.startup.get("user").map(String::as_str), Some("postgres.aiwah"));
    assert_eq!(seen.startup.get("database").map(String::as_str), Some("postgres"));
    // Only simple queries: no Parse/Bind/Execute a pooled server connection could lose between transactions.
    assert_eq!(seen.messages, ['Q']);
    assert_eq!(seen.queries, ["select 'pooler_ok'"]);
}

#[tokio::test]
async fn an_unknown_tenant_is_refused_with_xx000_at_the_first_answer() {
    let fake = PoolerFake::start(TENANT, PASSWORD).await;
    let err = Pooler::connect("127.0.0.1", fake.port, "postgres", "other", PASSWORD, "postgres", DEADLINE).await.unwrap_err();
    assert_eq!(err.sqlstate.as_deref(), Some("XX000"), "{err}");
    assert!(err.message.contains("(ENOTFOUND) tenant/user postgres.other not found"), "{err}");
    assert!(!err.message.contains(PASSWORD), "{err}");
    // A server's answer is final: one connection, not retries until the deadline.
    assert_eq!(fake.seen.lock().unwrap().connections, 1);
}

#[tokio::test]
async fn a_wrong_password_is_refused_with_28p01_at_the_first_answer() {
    let fake = PoolerFake::start(TENANT, PASSWORD).await;
    let err = Pooler::connect("127.0.0.1", fake.port, "postgres", TENANT, "not-the-password", "postgres", DEADLINE).await.unwrap_err();
    assert_eq!(err.sqlstate.as_deref(), Some("28P01"), "{err}");
    assert!(!err.message.contains("not-the-password"), "{err}");
    assert_eq!(fake.seen.lock().unwrap().connections, 1);
}

#[tokio::test]
async fn a_silent_address_is_retried_until_the_deadline_and_named() {
    // A port nothing listens on (bound, then released).
    let port = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
    let err = Pooler::connect("127.0.0.1", port, "postgres", TENANT, PASSWORD, "postgres", Duration::from_millis(600)).await.unwrap_err();
    assert_eq!(err.sqlstate, None);
    assert!(err.message.starts_with(&format!("cannot connect to postgres.aiwah@127.0.0.1:{port}/postgres within 0.6s")), "{err}");
}

#[test]
fn the_pooled_user_names_the_tenant_after_a_dot() {
    assert_eq!(pooled_user("postgres", "aiwah"), "postgres.aiwah");
}
