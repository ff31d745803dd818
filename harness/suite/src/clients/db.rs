//! SQL-level row level security checks on the Supabase database (tokio-postgres, no TLS).
//!
//! [`Db::as_role`] runs one statement the way PostgREST does for a request, in one transaction:
//! `set local role <role>`, then the JWT claims as transaction-local settings, then the statement. The
//! claims go into `request.jwt.claims` (JSON — what PostgREST >= 10 and GoTrue's `auth.uid()` read) *and*
//! the legacy `request.jwt.claim.sub` / `request.jwt.claim.role` (what the image's own `auth.uid()` reads
//! until GoTrue has run its migrations), so `auth.uid()` answers `sub` either way.
//!
//! Connect as a user that may `set role authenticated`: `supabase_admin` (superuser; also fine for
//! [`Db::admin`] setup) or `authenticator` (PostgREST's login role, member of anon/authenticated/service_role;
//! `as_role` only — it has no table rights of its own). Both take POSTGRES_PASSWORD in the compose stack.
//! `postgres` can NOT: it is no member of those roles (42501 "permission denied to set role"). Only
//! `authenticated`/`anon` statements are subject to RLS; `service_role`, `postgres`, `supabase_admin` bypass it.

use std::fmt;
use std::time::{Duration, Instant};

use aiwah_harness::secrets::Role;
use serde_json::json;
use tokio::sync::Mutex;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Config, NoTls, Row};

/// A refused statement or a failed connection. `sqlstate` is the server's code when it sent one
/// (`42501` insufficient privilege / RLS violation, `28P01` bad password, `23503` foreign key, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbError {
    pub sqlstate: Option<String>,
    pub message: String,
}

impl DbError {
    /// 42501: permission denied, including "new row violates row-level security policy".
    pub fn is_insufficient_privilege(&self) -> bool {
        self.sqlstate.as_deref() == Some("42501")
    }
}

impl From<tokio_postgres::Error> for DbError {
    fn from(e: tokio_postgres::Error) -> DbError {
        let message = match e.as_db_error() {
            Some(db) => match db.detail() {
                Some(detail) => format!("{} ({detail})", db.message()),
                None => db.message().to_string(),
            },
            // tokio-postgres' Display names only the kind ("error connecting to server"); add the cause.
            None => match std::error::Error::source(&e) {
                Some(cause) => format!("{e}: {cause}"),
                None => e.to_string(),
            },
        };
        DbError { sqlstate: e.code().map(|c| c.code().to_string()), message }
    }
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.sqlstate {
            Some(code) => write!(f, "SQLSTATE {code}: {}", self.message),
            None => write!(f, "{}", self.message),
        }
    }
}

impl std::error::Error for DbError {}

/// One connection; statements are serialised (each `as_role` call holds it for its transaction).
pub struct Db {
    client: Mutex<Client>,
    /// `user@host:port/dbname`, for messages.
    pub target: String,
}

impl fmt::Debug for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Db").field("target", &self.target).finish()
    }
}

impl Db {
    /// Connects to `host:port` (e.g. the db container's IP, 5432), retrying every 250 ms until `deadline`
    /// while the server is not up yet. Authentication (SQLSTATE class 28) and unknown database (3D000)
    /// fail at once. The password only goes into the connection config, never into a message.
    pub async fn connect(host: &str, port: u16, user: &str, password: &str, dbname: &str, deadline: Duration) -> Result<Db, DbError> {
        let target = format!("{user}@{host}:{port}/{dbname}");
        // Authentication (class 28) and an unknown database do not get better by waiting.
        let fatal = |e: &DbError| e.sqlstate.as_deref().is_some_and(|c| c.starts_with("28") || c == "3D000");
        let client = connect_retrying((host, port, user, password, dbname), &target, deadline, fatal).await?;
        Ok(Db { client: Mutex::new(client), target })
    }

    /// Runs `sql` as `role` with JWT claims `{"sub": sub, "role": role}` (no `sub` when `None`) in one
    /// transaction, committed on success and rolled back on error. The role name is spliced into
    /// SQL: only the [`Role`] enum's names can reach it.
    pub async fn as_role(&self, role: Role, sub: Option<&str>, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>, DbError> {
        let role = role.as_str();
        let claims = match sub {
            Some(sub) => json!({"sub": sub, "role": role}),
            None => json!({"role": role}),
        }
        .to_string();
        let mut client = self.client.lock().await;
        let tx = client.transaction().await?;
        let result = async {
            tx.batch_execute(&format!("set local role {role}")).await?;
            tx.execute(
                "select set_config('request.jwt.claims', $1, true), set_config('request.jwt.claim.sub', $2, true), \
                 set_config('request.jwt.claim.role', $3, true)",
                &[&claims, &sub.unwrap_or(""), &role],
            )
            .await?;
            tx.query(sql, params).await
        }
        .await;
        match result {
            Ok(rows) => {
                tx.commit().await?;
                Ok(rows)
            }
            Err(e) => {
                let _ = tx.rollback().await;
                Err(e.into())
            }
        }
    }

    /// Runs `sql` as the connected user (no role switch, no claims; autocommit).
    pub async fn admin(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>, DbError> {
        let client = self.client.lock().await;
        Ok(client.query(sql, params).await?)
    }

    /// Runs several `;`-separated statements as the connected user (a migration file, setup, cleanup).
    pub async fn admin_batch(&self, sql: &str) -> Result<(), DbError> {
        let client = self.client.lock().await;
        Ok(client.batch_execute(sql).await?)
    }
}

/// Connects to `(host, port, user, password, dbname)`, retrying every 250 ms until `deadline` while
/// nothing answers; an error `fatal` accepts fails at once. The password goes only into the
/// connection config; errors name `target` (`user@host:port/db`).
pub(crate) async fn connect_retrying(
    (host, port, user, password, dbname): (&str, u16, &str, &str, &str),
    target: &str,
    deadline: Duration,
    fatal: impl Fn(&DbError) -> bool,
) -> Result<Client, DbError> {
    let mut config = Config::new();
    config.host(host).port(port).user(user).password(password).dbname(dbname);
    config.application_name("aiwah-harness").connect_timeout(Duration::from_secs(5));
    let start = Instant::now();
    loop {
        match config.connect(NoTls).await {
            Ok((client, connection)) => {
                tokio::spawn(async move {
                    // Ends when the client is dropped or the server goes away; later calls then fail.
                    let _ = connection.await;
                });
                return Ok(client);
            }
            Err(e) => {
                let err = DbError::from(e);
                let fatal = fatal(&err);
                if fatal || start.elapsed() >= deadline {
                    let waited = if fatal { String::new() } else { format!(" within {:.1}s", deadline.as_secs_f64()) };
                    return Err(DbError { message: format!("cannot connect to {target}{waited}: {}", err.message), ..err });
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
