//! Reading the dumps' SQL text: which tables a data dump fills, and which statements of a roles
//! dump create roles the target does not have yet (its own built-in roles stay as its init made
//! them, as upstream's `supabase db dump --role-only` leaves out the reserved roles).

use std::collections::BTreeSet;
use std::io::BufRead;

/// `schema.table` of every `COPY … FROM stdin;` block of a plain-format data dump, in order.
pub fn copied_tables(dump: impl BufRead) -> std::io::Result<Vec<String>> {
    let mut tables = Vec::new();
    let mut in_data = false;
    for line in dump.split(b'\n') {
        let line = line?;
        if in_data {
            in_data = line != b"\\.";
            continue;
        }
        let text = String::from_utf8_lossy(&line);
        if let Some(rest) = text.strip_prefix("COPY ") {
            if rest.ends_with("FROM stdin;") {
                tables.push(rest.split(" (").next().unwrap_or(rest).split(" FROM").next().unwrap_or(rest).trim().to_string());
                in_data = true;
            }
        }
    }
    Ok(tables)
}

/// The statements of `roles` (a `pg_dumpall --roles-only` script) about roles not in `existing`,
/// with every other line (settings, comments, psql's `\restrict`) kept.
pub fn new_roles_only(roles: &str, existing: &BTreeSet<String>) -> (String, Vec<String>) {
    let mut created = Vec::new();
    let mut out = String::new();
    for line in roles.lines() {
        let subject = subject_role(line);
        if let Some(role) = &subject {
            if existing.contains(role) {
                continue;
            }
            if line.starts_with("CREATE ROLE ") {
                created.push(role.clone());
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    (out, created)
}

/// The role a line of a roles dump is about: the role created, altered or commented on, or the
/// member a `GRANT … TO member` adds.
fn subject_role(line: &str) -> Option<String> {
    for prefix in ["CREATE ROLE ", "ALTER ROLE ", "COMMENT ON ROLE "] {
        if let Some(rest) = line.strip_prefix(prefix) {
            return Some(identifier(rest));
        }
    }
    let rest = line.strip_prefix("GRANT ")?;
    let member = rest.split_once(" TO ")?.1;
    Some(identifier(member))
}

/// The identifier at the start of `text`: `"quoted ""name"""` or a bare word.
fn identifier(text: &str) -> String {
    if let Some(quoted) = text.strip_prefix('"') {
        let mut name = String::new();
        let mut chars = quoted.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                } else {
                    break;
                }
            }
            name.push(c);
        }
        return name;
    }
    text.split(|c: char| c.is_whitespace() || c == ';').next().unwrap_or_default().to_string()
}

/// `schema.table` as a quoted SQL name (the dump's own spelling is already quoted where needed).
pub fn truncate_statement(tables: &[String]) -> Option<String> {
    (!tables.is_empty()).then(|| format!("TRUNCATE TABLE {};\n", tables.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copied_tables_skips_data_lines_that_look_like_copy() {
        let dump = "SET x = 1;\nCOPY auth.users (id, email) FROM stdin;\n1\ta@x\nCOPY fake FROM stdin;\n\\.\nCOPY public.\"My Todos\" (id) FROM stdin;\n\\.\nSELECT 1;\n";
        assert_eq!(copied_tables(dump.as_bytes()).unwrap(), vec!["auth.users".to_string(), "public.\"My Todos\"".to_string()]);
    }

    #[test]
    fn only_roles_the_target_lacks_are_created_altered_or_granted() {
        let roles = "\\restrict K\nCREATE ROLE anon;\nALTER ROLE anon WITH NOLOGIN;\nCREATE ROLE \"app \"\"writer\"\"\";\nALTER ROLE \"app \"\"writer\"\"\" WITH LOGIN;\n\
                     GRANT anon TO \"app \"\"writer\"\"\" GRANTED BY supabase_admin;\nGRANT anon TO authenticator;\nALTER ROLE anon SET statement_timeout TO '3s';\n\\unrestrict K\n";
        let existing: BTreeSet<String> = ["anon", "authenticator", "supabase_admin"].iter().map(|s| s.to_string()).collect();
        let (sql, created) = new_roles_only(roles, &existing);
        assert_eq!(created, vec!["app \"writer\"".to_string()]);
        assert_eq!(
            sql,
            "\\restrict K\nCREATE ROLE \"app \"\"writer\"\"\";\nALTER ROLE \"app \"\"writer\"\"\" WITH LOGIN;\nGRANT anon TO \"app \"\"writer\"\"\" GRANTED BY supabase_admin;\n\\unrestrict K\n"
        );
    }
}
