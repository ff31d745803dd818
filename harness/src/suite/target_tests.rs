use std::path::Path;

use super::{Capability, DatabaseUrl, Target};

const GOOD: &str = r#"
kong_url = "http://127.0.0.1:8000/"
anon_key = "anon"
service_role_key = "service"
n8n_url = "http://127.0.0.1:5678"
n8n_api_key = "n8n-key"
ui_url = "https://ui.example.test"
"#;

fn parse(text: &str) -> Result<Target, String> {
    Target::parse(Path::new("staging.toml"), text).map_err(|p| p.to_string())
}

/// The one line a bad file gives, checked to name the file and the key.
fn refused(text: &str, key: &str, says: &str) {
    let line = parse(text).expect_err("a bad target file is refused");
    assert!(!line.contains('\n'), "one line: {line}");
    assert!(line.starts_with(&format!("staging.toml: {key}: ")), "names the file and the key {key}: {line}");
    assert!(line.contains(says), "{line} should say {says:?}");
}

#[test]
fn a_minimal_file_parses_and_gives_no_optional_capability() {
    let target = parse(GOOD).unwrap();
    assert_eq!(target.kong_url, "http://127.0.0.1:8000", "a trailing slash is dropped");
    assert_eq!((target.anon_key.as_str(), target.service_role_key.as_str(), target.n8n_api_key.as_str()), ("anon", "service", "n8n-key"));
    for capability in Capability::ALL {
        assert!(!target.gives(capability), "{capability:?}");
    }
    let reason = target.not_applicable(&[Capability::Docker, Capability::Database]).unwrap();
    assert_eq!(reason, "not applicable to this target: staging.toml gives no [docker], database_url");
    assert_eq!(target.not_applicable(&[]), None);
}

#[test]
fn a_full_file_round_trips_through_render() {
    let text = format!(
        "{GOOD}jwt_secret = \"s3cret\"\ndatabase_url = \"postgres://supabase_admin:p%40ss@172.18.0.5:5433/postgres\"\n\
         dashboard_username = \"supabase\"\ndashboard_password = \"pw\"\n[docker]\ncontext = \"default\"\ndeployment = \"aiwah-t\"\n"
    );
    let target = parse(&text).unwrap();
    let db = target.database.clone().unwrap();
    assert_eq!(
        (db.user.as_str(), db.password.as_str(), db.host.as_str(), db.port, db.dbname.as_str()),
        ("supabase_admin", "p@ss", "172.18.0.5", 5433, "postgres")
    );
    assert_eq!(target.docker.as_ref().unwrap().deployment, "aiwah-t");
    for capability in Capability::FROM_TARGET {
        assert!(target.gives(capability), "{capability:?}");
    }
    assert!(!target.gives(Capability::OwnCopy), "fault scenarios never run against a target, however complete");
    assert_eq!(parse(&target.render()).unwrap(), target, "what render writes parses back to the same target");
    assert!(!format!("{target:?}{db:?}").contains("s3cret") && !format!("{db:?}").contains("p@ss"), "Debug shows no secret");
}

#[test]
fn an_unknown_key_is_named() {
    refused(&format!("{GOOD}kong_ulr = \"x\"\n"), "kong_ulr", "is not a key of a target file");
    refused(&format!("{GOOD}[docker]\ncontext = \"default\"\ndeployment = \"a\"\nhost = \"x\"\n"), "docker.host", "is not a key of [docker]");
}

#[test]
fn a_missing_key_is_named() {
    refused(&GOOD.replace("anon_key = \"anon\"\n", ""), "anon_key", "is missing");
    refused(&format!("{GOOD}[docker]\ncontext = \"default\"\n"), "docker.deployment", "is missing");
    refused(&format!("{GOOD}dashboard_username = \"u\"\n"), "dashboard_password", "is missing");
}

#[test]
fn a_wrong_type_or_value_is_named() {
    refused(&GOOD.replace("\"n8n-key\"", "42"), "n8n_api_key", "must be a string, not integer");
    refused(&GOOD.replace("\"anon\"", "\"  \""), "anon_key", "is empty");
    refused(&GOOD.replace("http://127.0.0.1:5678", "127.0.0.1:5678"), "n8n_url", "is not an http:// or https:// URL");
    refused(&format!("{GOOD}docker = \"default\"\n"), "docker", "must be a table, not string");
    refused(&format!("{GOOD}database_url = \"mysql://u:p@h/db\"\n"), "database_url", "is not a postgres:// URL");
    refused(&format!("{GOOD}database_url = \"postgres://u:p@h:port/db\"\n"), "database_url", "is not a number");
    refused(&format!("{GOOD}database_url = \"postgres://u@h/db\"\n"), "database_url", "has no password");
}

#[test]
fn broken_toml_and_a_missing_file_give_one_line_naming_the_file() {
    let line = parse("kong_url = ").unwrap_err();
    assert!(line.starts_with("staging.toml: invalid TOML"), "{line}");
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.toml");
    let line = Target::load(&missing).unwrap_err().to_string();
    assert!(line.starts_with(&format!("{}: cannot read the target file", missing.display())) && !line.contains('\n'), "{line}");
}

#[test]
fn database_urls_default_the_port_and_decode_escapes() {
    let db = DatabaseUrl::parse("postgresql://a%2Fb:c%3Ad@db.internal/app").unwrap();
    assert_eq!((db.user.as_str(), db.password.as_str(), db.port), ("a/b", "c:d", 5432));
    assert_eq!(DatabaseUrl::parse(&db.url()).unwrap(), db);
    assert!(DatabaseUrl::parse("postgres://a:b@h/db%zz").is_err());
}
