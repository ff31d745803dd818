//! What the target deployment holds before a restore: the tables the backup fills must exist (the
//! schema comes from the target's own init and migrations), and whatever data is already there is
//! named, because restore replaces it.

use super::{Place, REPLACED_DIR, STAGING_DIR, SUPABASE_ADMIN, SUPABASE_DATABASE};
use crate::problem::{Problem, Result};

/// n8n's tables that hold what its users made (its own settings, roles and migrations do not count).
const N8N_USER_TABLES: &[(&str, &str)] = &[("workflow_entity", "workflows"), ("credentials_entity", "credentials"), ("execution_entity", "executions")];

fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Tables of `tables` (as the dump spells them) that Supabase's database does not have.
pub fn missing_tables(place: &Place, tables: &[String]) -> Result<Vec<String>> {
    if tables.is_empty() {
        return Ok(vec![]);
    }
    let list = tables.iter().map(|t| literal(t)).collect::<Vec<_>>().join(", ");
    let sql = format!("select t from unnest(array[{list}]::text[]) t where to_regclass(t) is null");
    Ok(super::query(&place.supabase_db, SUPABASE_ADMIN, SUPABASE_DATABASE, &sql)?.lines().map(String::from).collect())
}

/// Data the target already holds that a restore would replace, one entry per table or volume.
pub fn existing_data(place: &Place, tables: &[String]) -> Result<Vec<String>> {
    let mut found = Vec::new();
    if !tables.is_empty() {
        let counts = tables.iter().map(|t| format!("select {}, count(*) from {t}", literal(t))).collect::<Vec<_>>().join(" union all ");
        let sql = format!("select t || ' (' || n || ' rows)' from ({counts}) c(t, n) where n > 0");
        found.extend(super::query(&place.supabase_db, SUPABASE_ADMIN, SUPABASE_DATABASE, &sql)?.lines().map(|l| format!("supabase {l}")));
    }
    let counts = N8N_USER_TABLES.iter().map(|(t, what)| format!("select {}, count(*) from {t}", literal(what))).collect::<Vec<_>>().join(" union all ");
    let sql = format!("select n || ' ' || t from ({counts}) c(t, n) where n > 0");
    let n8n = super::query(&place.n8n_db, &place.n8n_admin, &place.n8n_database, &sql).map_err(|p| {
        Problem::new("n8n database", format!("cannot count its workflows: {}", p.message)).hint("is n8n started and migrated? cargo xtask up n8n")
    })?;
    found.extend(n8n.lines().map(|l| format!("n8n {l}")));
    let script = format!("find /data -mindepth 1 -type f -not -path '/data/{STAGING_DIR}/*' -not -path '/data/{REPLACED_DIR}/*' | wc -l");
    let out = place.volume_command(true, false, &script).output().map_err(|e| Problem::new("docker run", e.to_string()))?;
    if !out.status.success() {
        return Err(Problem::new(
            format!("volume {}", place.storage_volume),
            crate::problem::last_line(&String::from_utf8_lossy(&out.stderr), "cannot be read"),
        ));
    }
    let files: u64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(0);
    if files > 0 {
        found.push(format!("storage volume {} ({files} files)", place.storage_volume));
    }
    Ok(found)
}

/// Role names the target's database has.
pub fn roles(place: &Place) -> Result<std::collections::BTreeSet<String>> {
    Ok(super::query(&place.supabase_db, SUPABASE_ADMIN, SUPABASE_DATABASE, "select rolname from pg_roles")?.lines().map(String::from).collect())
}
