//! Supavisor in transaction mode: a query through the pooler as `postgres.<tenant>`, as upstream's
//! smoke test runs it, and a tenant the pooler does not know. Supavisor publishes no host port (it
//! is a way into the database), so the step connects to its container address from the host.

use std::time::Duration;

use cucumber::{then, when};

use crate::clients::db::DbError;
use crate::clients::pooler::{Pooler, TRANSACTION_PORT};
use crate::steps::AiwahWorld;

#[derive(Debug, Default)]
pub struct State {
    sql: Option<String>,
    /// Rows of the last query through the pooler, or why it failed.
    outcome: Option<Result<Vec<Vec<Option<String>>>, DbError>>,
}

/// Which tenant the user name names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tenant {
    /// `POOLER_TENANT_ID` of the deployment.
    Deployment,
    /// A tenant id no pooler.exs created.
    Unknown,
}

impl AiwahWorld {
    async fn through_pooler(&self, tenant: Tenant, sql: &str) -> Result<Result<Vec<Vec<Option<String>>>, DbError>, String> {
        let suite = self.suite.clone();
        // `docker inspect` blocks: off the async workers.
        let host =
            tokio::task::spawn_blocking(move || suite.container_ip("supabase", "supavisor")).await.map_err(|e| e.to_string())?.map_err(|p| p.to_string())?;
        let tenant = match tenant {
            Tenant::Deployment => self.suite.secret("POOLER_TENANT_ID").map_err(|p| p.to_string())?,
            Tenant::Unknown => format!("no-such-tenant-{}", aiwah_harness::secrets::random::from_alphabet(b"abcdefghijklmnopqrstuvwxyz", 8)),
        };
        let password = self.suite.secret("POSTGRES_PASSWORD").map_err(|p| p.to_string())?;
        let dbname = self.suite.secret("POSTGRES_DB").map_err(|p| p.to_string())?;
        // Supavisor migrates and creates its tenant before it listens: give it the healthcheck's time.
        let pooler = match Pooler::connect(&host, TRANSACTION_PORT, "postgres", &tenant, &password, &dbname, Duration::from_secs(60)).await {
            Ok(pooler) => pooler,
            Err(e) => return Ok(Err(e)),
        };
        Ok(pooler.simple_query(sql).await)
    }
}

#[when(expr = "the query {string} runs through Supavisor in transaction mode as postgres.<tenant>")]
async fn query(w: &mut AiwahWorld, sql: String) -> Result<(), String> {
    w.pooler.outcome = Some(w.through_pooler(Tenant::Deployment, &sql).await?);
    w.pooler.sql = Some(sql);
    Ok(())
}

#[when("the same query runs as postgres.<a tenant Supavisor does not know>")]
async fn query_unknown_tenant(w: &mut AiwahWorld) -> Result<(), String> {
    let sql = w.pooler.sql.clone().ok_or("no query ran through the pooler before")?;
    w.pooler.outcome = Some(w.through_pooler(Tenant::Unknown, &sql).await?);
    Ok(())
}

#[then(expr = "Supavisor answers {string}")]
async fn answers(w: &mut AiwahWorld, expected: String) -> Result<(), String> {
    match w.pooler.outcome.take() {
        Some(Ok(rows)) if rows == vec![vec![Some(expected.clone())]] => Ok(()),
        Some(Ok(rows)) => Err(format!("the pooler answered {rows:?}, expected one row {expected:?}")),
        Some(Err(e)) => Err(e.to_string()),
        None => Err("nothing ran through the pooler in this scenario".to_owned()),
    }
}

#[then(expr = "Supavisor refuses the connection with SQLSTATE {word}")]
async fn refuses(w: &mut AiwahWorld, sqlstate: String) -> Result<(), String> {
    match w.pooler.outcome.take() {
        Some(Err(e)) if e.sqlstate.as_deref() == Some(sqlstate.as_str()) => Ok(()),
        Some(Err(e)) => Err(format!("refused with {e}, expected SQLSTATE {sqlstate}")),
        Some(Ok(rows)) => Err(format!("the pooler answered {rows:?}, expected a refusal with SQLSTATE {sqlstate}")),
        None => Err("nothing ran through the pooler in this scenario".to_owned()),
    }
}
