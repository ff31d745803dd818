//! How supabase/realtime routes a committed row change to `postgres_changes` subscriptions, modelled
//! for the fake from `realtime.apply_rls` (priv/repo/tenant_schema/realtime/functions/apply_rls.sql,
//! is_visible_through_filters.sql; the WAL comes from wal2json format-version 2, list_changes.sql):
//!
//! - a subscription sees a change if its event matches and every filter column is present in the new
//!   row (`columns`) and passes — or, for a DELETE, in the old row's replica identity (`identity`:
//!   the primary key by default, the whole row with `REPLICA IDENTITY FULL`); a DELETE has no
//!   `columns`, so an owner filter can only match under FULL;
//! - RLS (here: 0001's policies, owner column = `auth.uid()` for `authenticated`) is checked for
//!   INSERT and UPDATE only; DELETEs reach every subscription whose filters pass;
//! - a DELETE's `old_record` holds only the primary key when the table has RLS ("we can't secure
//!   deletes so filter to pkey").
//!
//! The table's RLS switch and replica identity come from the app's migrations, so the fake answers
//! as the deployed schema would. Column privileges and filter operators other than `eq` are not modelled.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use aiwah_suite::clients::realtime::{ChangeKind, Events, ReplicaIdentity};
use serde_json::{Map, Value, json};

pub const COMMIT_TIMESTAMP: &str = "2025-01-01T00:00:00.000Z";

/// A published table as the migrations leave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub schema: String,
    pub name: String,
    /// (name, pg type name) in declaration order.
    pub columns: Vec<(String, String)>,
    pub primary_key: Vec<String>,
    pub rls: bool,
    pub identity: ReplicaIdentity,
    /// The column 0001's policies compare with `auth.uid()`.
    pub owner: String,
}

/// The app's migrations directory in this checkout.
pub fn migrations_dir() -> PathBuf {
    aiwah_harness::repo::this_checkout().join(aiwah_harness::engine::migrate::MIGRATIONS_DIR)
}

impl Table {
    /// `public.todos` after every `*.sql` in `dir`, applied in file-name order (as engine::migrate does).
    pub fn todos_from(dir: &Path) -> Table {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: cannot read: {e}", dir.display()))
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "sql"))
            .collect();
        files.sort();
        let mut table: Option<Table> = None;
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: cannot read: {e}", file.display()));
            for statement in statements(&text) {
                if let Some(body) = statement.strip_prefix("create table public.todos (") {
                    table = Some(Table::create(body.strip_suffix(')').unwrap_or(body)));
                } else if let Some(action) = statement.strip_prefix("alter table public.todos ") {
                    let table = table.as_mut().unwrap_or_else(|| panic!("{}: alters public.todos before creating it", file.display()));
                    table.alter(action, file);
                }
            }
        }
        table.unwrap_or_else(|| panic!("{}: no migration creates public.todos", dir.display()))
    }

    fn create(body: &str) -> Table {
        let (mut columns, mut primary_key) = (Vec::new(), Vec::new());
        for definition in top_level_commas(body) {
            let mut words = definition.split_whitespace();
            let (Some(name), Some(kind)) = (words.next(), words.next()) else { continue };
            if ["constraint", "primary", "unique", "check", "foreign"].contains(&name) {
                continue;
            }
            if definition.contains("primary key") {
                primary_key.push(name.to_string());
            }
            let kind = match kind {
                "bigint" => "int8",
                "integer" => "int4",
                "boolean" => "bool",
                other => other,
            };
            columns.push((name.to_string(), kind.to_string()));
        }
        let owner = "user_id".to_string();
        assert!(columns.iter().any(|(c, _)| *c == owner), "public.todos has no {owner} column for 0001's policies");
        Table { schema: "public".into(), name: "todos".into(), columns, primary_key, rls: false, identity: ReplicaIdentity::Default, owner }
    }

    fn alter(&mut self, action: &str, file: &Path) {
        match action {
            "enable row level security" => self.rls = true,
            "disable row level security" => self.rls = false,
            _ => {
                if let Some(words) = action.strip_prefix("replica identity ") {
                    self.identity = ReplicaIdentity::from_sql(words).unwrap_or_else(|| panic!("{}: replica identity {words:?}", file.display()));
                }
            }
        }
    }

    /// The subscriptions of `subs` that see `change` (in their order), and the `payload.data` they get.
    /// `None` when the WAL carries nothing for it (a DELETE under `REPLICA IDENTITY NOTHING`).
    pub fn route<'a>(&self, change: &RowChange, subs: &'a [Subscription]) -> Option<(Vec<&'a Subscription>, Value)> {
        let (kind, columns, identity) = self.wal(change)?;
        let visible = subs
            .iter()
            .filter(|s| s.schema == self.schema && s.table == self.name && (s.events == Events::All || s.events == Events::Only(kind)))
            .filter(|s| s.passes(columns.as_ref()) || (kind == ChangeKind::Delete && s.passes(identity.as_ref())))
            .filter(|s| !self.rls || kind == ChangeKind::Delete || columns.as_ref().is_some_and(|row| s.owns(row, &self.owner)))
            .collect();
        let names: Vec<Value> = self.columns.iter().map(|(name, kind)| json!({"name": name, "type": kind})).collect();
        let mut data = json!({"schema": self.schema, "table": self.name, "commit_timestamp": COMMIT_TIMESTAMP,
            "type": kind.as_str(), "columns": names, "errors": null});
        match kind {
            ChangeKind::Insert => data["record"] = Value::Object(columns.unwrap_or_default()),
            ChangeKind::Update => {
                data["record"] = Value::Object(columns.unwrap_or_default());
                data["old_record"] = Value::Object(identity.unwrap_or_default());
            }
            ChangeKind::Delete => {
                let old = identity.unwrap_or_default().into_iter().filter(|(c, _)| !self.rls || self.primary_key.contains(c));
                data["old_record"] = Value::Object(old.collect());
            }
        }
        Some((visible, data))
    }

    /// wal2json v2: the new row (`columns`, absent on DELETE) and the old row's replica identity.
    fn wal(&self, change: &RowChange) -> Option<(ChangeKind, Option<Map<String, Value>>, Option<Map<String, Value>>)> {
        let identity_of = |row: &Value| -> Option<Map<String, Value>> {
            let keep = |c: &String| match self.identity {
                ReplicaIdentity::Full => true,
                ReplicaIdentity::Default => self.primary_key.contains(c),
                ReplicaIdentity::Index => panic!("replica identity using index is not modelled"),
                ReplicaIdentity::Nothing => false,
            };
            let kept: Map<String, Value> = row.as_object().cloned().unwrap_or_default().into_iter().filter(|(c, _)| keep(c)).collect();
            (!kept.is_empty()).then_some(kept)
        };
        let row = |v: &Value| v.as_object().cloned();
        match change {
            RowChange::Insert(new) => Some((ChangeKind::Insert, row(new), None)),
            RowChange::Update { old, new } => Some((ChangeKind::Update, row(new), identity_of(old))),
            RowChange::Delete(old) => Some((ChangeKind::Delete, None, Some(identity_of(old)?))),
        }
    }
}

/// A committed change of one row (rows are JSON objects, column → value).
#[derive(Debug, Clone)]
pub enum RowChange {
    Insert(Value),
    Update { old: Value, new: Value },
    Delete(Value),
}

/// One `postgres_changes` binding, as realtime stores it in `realtime.subscription`.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    pub id: i64,
    pub events: Events,
    pub schema: String,
    pub table: String,
    /// `column=eq.value` filters (comma-separated in the binding: all must pass).
    pub filters: Vec<(String, String)>,
    /// The joining JWT's claims (`sub`, `role`); `{}` without an access token.
    pub claims: Value,
}

impl Subscription {
    /// From a join's binding (already given its `id`) and access token; `Err` names what the fake
    /// cannot model.
    pub fn from_binding(binding: &Value, claims: &Value) -> Result<Subscription, String> {
        let events = match binding["event"].as_str().unwrap_or_default() {
            "*" => Events::All,
            word => Events::Only(ChangeKind::parse(word).ok_or_else(|| format!("binding event {word:?}"))?),
        };
        let mut filters = Vec::new();
        for filter in binding["filter"].as_str().unwrap_or_default().split(',').filter(|f| !f.trim().is_empty()) {
            let (column, rest) = filter.split_once('=').ok_or_else(|| format!("filter {filter:?}"))?;
            let value = rest.strip_prefix("eq.").ok_or_else(|| format!("filter {filter:?}: the fake models eq only"))?;
            filters.push((column.trim().to_string(), value.to_string()));
        }
        Ok(Subscription {
            id: binding["id"].as_i64().ok_or("binding without id")?,
            events,
            schema: binding["schema"].as_str().unwrap_or_default().to_string(),
            table: binding["table"].as_str().unwrap_or_default().to_string(),
            filters,
            claims: claims.clone(),
        })
    }

    /// is_visible_through_filters: no filters, or every filter column present and equal.
    fn passes(&self, row: Option<&Map<String, Value>>) -> bool {
        self.filters.iter().all(|(column, value)| row.and_then(|r| r.get(column)).is_some_and(|v| text(v) == *value))
    }

    /// 0001's policies: `authenticated` and `owner = auth.uid()`.
    fn owns(&self, row: &Map<String, Value>, owner: &str) -> bool {
        self.claims["role"] == "authenticated" && row.get(owner).is_some_and(|v| self.claims["sub"].as_str() == Some(text(v).as_str()))
    }
}

fn text(value: &Value) -> String {
    value.as_str().map_or_else(|| value.to_string(), str::to_string)
}

/// The SQL statements of `text`, comments dropped, whitespace collapsed, lower case, quotes and
/// `only`/`if exists` removed from `alter table` and `create table` heads.
fn statements(text: &str) -> Vec<String> {
    let code: String = text.lines().map(|l| l.split("--").next().unwrap_or_default()).collect::<Vec<_>>().join("\n");
    code.split(';')
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase().replace('"', ""))
        .map(|s| s.replacen("alter table only ", "alter table ", 1).replacen("alter table if exists ", "alter table ", 1))
        .map(|s| s.replacen("create table if not exists ", "create table ", 1).replacen("public.todos(", "public.todos (", 1))
        .filter(|s| !s.is_empty())
        .collect()
}

fn top_level_commas(body: &str) -> Vec<String> {
    let (mut parts, mut depth, mut current) = (Vec::new(), 0i32, String::new());
    for c in body.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut current).trim().to_string());
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    parts.push(current.trim().to_string());
    parts
}

/// An unsigned JWT with `sub` and role `authenticated`: realtime reads the claims of the joining
/// token (the fake does not check the signature).
pub fn token_for(sub: &str) -> String {
    use base64::Engine as _;
    let encode = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    format!("{}.{}.unsigned", encode(json!({"alg": "HS256", "typ": "JWT"})), encode(json!({"sub": sub, "role": "authenticated"})))
}

/// The claims of a join's `access_token` (`{}` when absent or unreadable).
pub fn claims_of(access_token: Option<&str>) -> Value {
    use base64::Engine as _;
    let payload = access_token.and_then(|t| t.split('.').nth(1)).and_then(|p| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(p).ok());
    payload.and_then(|bytes| serde_json::from_slice(&bytes).ok()).unwrap_or_else(|| json!({}))
}

/// A todo row as `public.todos` holds it.
pub fn todo(id: i64, owner: &str, title: &str) -> Value {
    json!({"id": id, "user_id": owner, "title": title, "done": false, "inserted_at": "2025-01-01T00:00:00+00:00"})
}
