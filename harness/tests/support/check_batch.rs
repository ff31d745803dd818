//! Named checks run as one batch inside one transaction, each in its own savepoint (so a failing one does
//! not stop the rest), after an optional mutation — all rolled back at the end, so the same database can
//! be checked again with another mutation.
// Shared by several test binaries; each uses part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;

use super::substitute_db::SubstituteDb;

/// One named expectation: `before` (statements, may be empty) then `value` (one SQL expression, read as
/// text) must give `expect`.
pub struct Check {
    pub name: String,
    pub before: &'static str,
    pub value: String,
    pub expect: String,
}

pub fn check(name: &str, before: &'static str, value: &str, expect: &str) -> Check {
    Check { name: name.into(), before, value: value.into(), expect: expect.into() }
}

/// Run every check in one transaction after `mutation` and then `fixtures` (SQL, either may be empty),
/// then roll back.
/// Returns the checks that failed: name → what they gave (or the error).
pub fn failures(db: &SubstituteDb, mutation: &str, fixtures: &str, checks: &[Check]) -> BTreeMap<String, String> {
    let mut script = format!("\\set ON_ERROR_STOP 0\nbegin;\n{mutation}\n{fixtures}\n");
    // Script lines of each check, to tell which check an error message belongs to.
    let mut lines = Vec::new();
    for (i, c) in checks.iter().enumerate() {
        let first = script.lines().count() + 1;
        script.push_str(&format!("savepoint c{i};\n{}\nselect 'CHECK{i}=' || coalesce(({})::text, '<null>');\n", c.before, c.value));
        lines.push(first..=script.lines().count());
        script.push_str(&format!("rollback to savepoint c{i};\n"));
    }
    script.push_str("rollback;\n");
    let (stdout, stderr, _) = db.psql("supabase_admin", &script);
    let values: BTreeMap<usize, &str> = stdout.lines().filter_map(|l| l.strip_prefix("CHECK")?.split_once('=')).map(|(i, v)| (i.parse().unwrap(), v)).collect();
    let mut failed = BTreeMap::new();
    for (i, c) in checks.iter().enumerate() {
        let problem = match values.get(&i) {
            Some(value) if *value == c.expect => continue,
            Some(value) => format!("gave {value:?}, expected {:?}", c.expect),
            None => format!("gave no value; psql: {}", error_within(&stderr, &lines[i])),
        };
        failed.insert(c.name.clone(), problem);
    }
    failed
}

/// The first `psql:<stdin>:LINE: ERROR: ...` whose LINE lies in `range`.
fn error_within(stderr: &str, range: &std::ops::RangeInclusive<usize>) -> String {
    stderr
        .lines()
        .find(|l| l.contains("ERROR") && l.split(':').nth(2).and_then(|n| n.parse::<usize>().ok()).is_some_and(|n| range.contains(&n)))
        .unwrap_or("no error reported for these lines")
        .to_string()
}
