//! What n8n's own PostgreSQL holds: every row of every table, searched for given strings.
//!
//! A row is searched as its text form (`t::text`: every column, JSON and text verbatim, bytea as hex),
//! so each needle is looked for both as it is and as the hex of its UTF-8 bytes. Tables are those of
//! every schema but PostgreSQL's own (`pg_catalog`, `information_schema`, `pg_toast*`, `pg_temp*`);
//! large objects are not searched (n8n 2.41.1 keeps none).

use crate::clients::db::{Db, DbError};

/// A table that holds at least one needle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Index of the needle in the list searched.
    pub needle: usize,
    /// `schema.table`.
    pub table: String,
    pub rows: i64,
}

/// One search of the whole database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    pub tables: usize,
    pub rows: i64,
    pub hits: Vec<Hit>,
}

impl Scan {
    /// Tables holding needle `i`, as `schema.table (n rows)`.
    pub fn found(&self, i: usize) -> Vec<String> {
        self.hits.iter().filter(|h| h.needle == i).map(|h| format!("{} ({} rows)", h.table, h.rows)).collect()
    }
}

/// Searches every table `db` can see for each of `needles` (passed as parameters, never spliced into SQL).
pub async fn scan(db: &Db, needles: &[&str]) -> Result<Scan, DbError> {
    let tables = db
        .admin(
            "select quote_ident(n.nspname) || '.' || quote_ident(c.relname) from pg_class c join pg_namespace n on n.oid = c.relnamespace \
             where c.relkind in ('r', 'm') and n.nspname not in ('pg_catalog', 'information_schema') \
             and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp%' order by 1",
            &[],
        )
        .await?;
    let needles: Vec<String> = needles.iter().map(|n| n.to_string()).collect();
    let hex: Vec<String> = needles.iter().map(|n| n.bytes().map(|b| format!("{b:02x}")).collect()).collect();
    let mut scan = Scan { tables: tables.len(), ..Scan::default() };
    for row in tables {
        let table: String = row.get(0);
        // One pass per table: row count, and per needle the rows whose text holds it (or its hex).
        let sql = format!(
            "select (select count(*) from {table}), u.i::int, count(t.ctid) from unnest($1::text[], $2::text[]) with ordinality as u(plain, hex, i) \
             left join {table} t on strpos(t::text, u.plain) > 0 or strpos(t::text, u.hex) > 0 group by u.i order by u.i"
        );
        for r in db.admin(&sql, &[&needles, &hex]).await? {
            scan.rows += if r.get::<_, i32>(1) == 1 { r.get::<_, i64>(0) } else { 0 };
            let rows: i64 = r.get(2);
            if rows > 0 {
                scan.hits.push(Hit { needle: r.get::<_, i32>(1) as usize - 1, table: table.clone(), rows });
            }
        }
    }
    Ok(scan)
}
