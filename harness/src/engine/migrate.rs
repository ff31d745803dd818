//! The app's SQL migrations (`fixtures/sql/*.sql`), applied to a deployment's Supabase database once
//! each, in file-name order, each in its own transaction, recorded in `aiwah.migrations` with a
//! checksum — a changed file that was already applied is an error, never silently re-run.

use crate::engine::deployment::Deployment;
use crate::problem::{Problem, Result};

pub const MIGRATIONS_DIR: &str = "fixtures/sql";

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Applied {
    pub applied: Vec<String>,
    pub already: Vec<String>,
}

impl Deployment {
    /// Apply pending migrations to `supabase/db` (as `supabase_admin` over the container's socket).
    pub fn migrate(&self) -> Result<Applied> {
        let dir = self.root.join(MIGRATIONS_DIR);
        let container = self.container("supabase", "db")?;
        psql(
            &container,
            "create schema if not exists aiwah; create table if not exists aiwah.migrations (name text primary key, checksum text not null, applied_at timestamptz not null default now());",
        )?;
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .map_err(|e| Problem::new(MIGRATIONS_DIR, format!("cannot read: {e}")))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "sql"))
            .collect();
        files.sort();
        let mut result = Applied::default();
        for file in files {
            let name = file.file_name().unwrap_or_default().to_string_lossy().into_owned();
            let sql = std::fs::read_to_string(&file).map_err(|e| Problem::new(format!("{MIGRATIONS_DIR}/{name}"), format!("cannot read: {e}")))?;
            let sum = checksum(&sql);
            let recorded = psql(&container, &format!("select checksum from aiwah.migrations where name = '{}'", name.replace('\'', "''")))?;
            match recorded.trim() {
                "" => {
                    let script =
                        format!("begin;\n{sql}\n;insert into aiwah.migrations (name, checksum) values ('{}', '{sum}');\ncommit;\n", name.replace('\'', "''"));
                    psql(&container, &script).map_err(|p| Problem::new(format!("{MIGRATIONS_DIR}/{name}"), format!("failed: {}", p.message)))?;
                    result.applied.push(name);
                }
                same if same == sum => result.already.push(name),
                _ => {
                    return Err(Problem::new(format!("{MIGRATIONS_DIR}/{name}"), "was changed after it was applied to this database")
                        .hint("add a new migration file instead of editing an applied one"));
                }
            }
        }
        Ok(result)
    }
}

fn psql(container: &str, sql: &str) -> Result<String> {
    let mut child = std::process::Command::new("docker")
        .args(["exec", "-i", container, "psql", "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", "-U", "supabase_admin", "-d", "postgres"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| Problem::new("docker exec psql", e.to_string()))?;
    use std::io::Write;
    child.stdin.take().expect("piped").write_all(sql.as_bytes()).map_err(|e| Problem::new("docker exec psql", e.to_string()))?;
    let out = child.wait_with_output().map_err(|e| Problem::new("docker exec psql", e.to_string()))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(Problem::new("supabase/db", err.lines().find(|l| l.contains("ERROR")).unwrap_or(err.trim()).to_string()));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A checksum of the file: detects edits, not attacks.
fn checksum(text: &str) -> String {
    crate::engine::fnv1a_hex(text.bytes())
}

/// Run `sql` in the deployment's Supabase database and return psql's unaligned output.
pub fn query(deployment: &Deployment, sql: &str) -> Result<String> {
    psql(&deployment.container("supabase", "db")?, sql)
}
