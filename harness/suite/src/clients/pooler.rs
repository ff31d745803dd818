//! A client for Supavisor, the stack's connection pooler, in transaction mode.
//!
//! Supavisor serves one tenant here (`POOLER_TENANT_ID`, created by volumes/pooler/pooler.exs) and
//! picks it from the user name: `<role>.<tenant>` (`postgres.aiwah`), the way upstream's smoke test
//! connects. Transaction mode listens on 6543 (session mode on 5432). In transaction mode a server
//! connection belongs to the client only for one transaction, so nothing may outlive one: queries
//! go through the simple query protocol (no prepared statements) and no session state is relied on.

use std::fmt;
use std::time::Duration;

use tokio_postgres::{Client, SimpleQueryMessage};

use super::db::DbError;

/// Supavisor's transaction-mode port (`PROXY_PORT_TRANSACTION`, default 6543).
pub const TRANSACTION_PORT: u16 = 6543;

/// The user name Supavisor routes to `tenant` as `role`.
pub fn pooled_user(role: &str, tenant: &str) -> String {
    format!("{role}.{tenant}")
}

/// One client connection through the pooler.
pub struct Pooler {
    client: Client,
    /// `user@host:port/dbname`, for messages.
    pub target: String,
}

impl fmt::Debug for Pooler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pooler").field("target", &self.target).finish()
    }
}

impl Pooler {
    /// Connects as `<role>.<tenant>` to `host:port`, retrying every 250 ms until `deadline` while
    /// nothing answers; any answer of the server (wrong tenant, wrong password) fails at once. The
    /// password goes only into the connection config, never into a message.
    pub async fn connect(host: &str, port: u16, role: &str, tenant: &str, password: &str, dbname: &str, deadline: Duration) -> Result<Pooler, DbError> {
        let user = pooled_user(role, tenant);
        let target = format!("{user}@{host}:{port}/{dbname}");
        // Any answer of the server (wrong tenant, wrong password) is final.
        let client = super::db::connect_retrying((host, port, &user, password, dbname), &target, deadline, |e| e.sqlstate.is_some()).await?;
        Ok(Pooler { client, target })
    }

    /// Runs `sql` with the simple query protocol (one implicit transaction per statement); every
    /// row it returns, as text (`None` for NULL).
    pub async fn simple_query(&self, sql: &str) -> Result<Vec<Vec<Option<String>>>, DbError> {
        let mut rows = Vec::new();
        for message in self.client.simple_query(sql).await? {
            if let SimpleQueryMessage::Row(row) = message {
                rows.push((0..row.len()).map(|i| row.get(i).map(str::to_owned)).collect());
            }
        }
        Ok(rows)
    }
}
