//! stacks/supabase/volumes/pooler/pooler.exs (Supavisor's tenant for the stack) run under a real Elixir
//! against a stand-in for the Supavisor calls it makes (support/supavisor_stand_in.exs, written from
//! Supavisor 2.9's Tenant/User changesets and Helpers.parse_pg_version). Proves the tenant attributes it
//! passes and that they cast, the environment it reads, and that a second start changes nothing.
//! Needs `elixir` (Debian package; `.ci/run` installs it). Without it the tests fail saying so: a check
//! that did not run must not read as passed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

const SERVER_VERSION: &str = "PostgreSQL 17.6 (Debian 17.6-1.pgdg13+1) on x86_64-pc-linux-gnu, compiled by gcc (Debian 14.2.0-19) 14.2.0, 64-bit";

fn root() -> PathBuf {
    aiwah_harness::repo::this_checkout()
}

/// Fails the test, naming the remedy, when `elixir` is absent.
fn require_elixir() {
    match Command::new("elixir").arg("--version").output() {
        Ok(out) if out.status.success() => {}
        other => panic!("`elixir` is not installed ({:?}): apt-get install elixir (bash .ci/run installs it)", other.map(|o| o.status)),
    }
}

/// A scratch dir with the stand-in `supavisor` application and the call log / tenant store.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let ebin = dir.path().join("ebin");
        std::fs::create_dir(&ebin).expect("ebin");
        let app =
            "{application,supavisor,[{description,\"AIWAH test stand-in\"},{vsn,\"0.0.0\"},{modules,[]},{registered,[]},{applications,[kernel,stdlib]}]}.\n";
        std::fs::write(ebin.join("supavisor.app"), app).expect("supavisor.app");
        Scratch { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs `script` as compose does (after the stand-in), with `env` on top of an empty environment.
    fn run(&self, script: &Path, env: &[(&str, &str)]) -> (Output, Vec<Value>) {
        let _ = std::fs::remove_file(self.path("calls.jsonl"));
        let stand_in = root().join("harness/tests/support/supavisor_stand_in.exs");
        let out = Command::new("elixir")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("STAND_IN_LOG", self.path("calls.jsonl"))
            .env("STAND_IN_TENANTS", self.path("tenants"))
            .env("STAND_IN_SERVER_VERSION", SERVER_VERSION)
            .envs(env.iter().copied())
            .arg("-pa")
            .arg(self.path("ebin"))
            .arg("-r")
            .arg(stand_in)
            .arg(script)
            .output()
            .expect("elixir runs");
        let calls = std::fs::read_to_string(self.path("calls.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("stand-in wrote bad JSON {l:?}: {e}")))
            .collect();
        (out, calls)
    }
}

const STACK_ENV: [(&str, &str); 8] = [
    ("POOLER_TENANT_ID", "aiwah-tenant"),
    ("POOLER_DEFAULT_POOL_SIZE", "20"),
    ("POOLER_MAX_CLIENT_CONN", "100"),
    ("POOLER_POOL_MODE", "transaction"),
    ("POSTGRES_PASSWORD", "pw \"with\" quotes\\"),
    ("POSTGRES_HOST", "db"),
    ("POSTGRES_PORT", "5432"),
    ("POSTGRES_DB", "postgres"),
];

fn script() -> PathBuf {
    root().join("stacks/supabase/volumes/pooler/pooler.exs")
}

fn created(calls: &[Value]) -> Vec<&Value> {
    calls.iter().filter(|c| c["call"] == "create_tenant").collect()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_first_start_creates_the_tenant_upstream_self_hosting_creates() {
    require_elixir();
    let scratch = Scratch::new();
    let (out, calls) = scratch.run(&script(), &STACK_ENV);
    assert!(out.status.success(), "pooler.exs failed: {}", stderr(&out));
    let creates = created(&calls);
    assert_eq!(creates.len(), 1, "{calls:?}");
    assert_eq!(creates[0]["problems"], json!([]), "the attributes do not pass Supavisor's changesets");
    let expected = json!({
        "external_id": "aiwah-tenant",
        "db_host": "db",
        "db_port": "5432",
        "db_database": "postgres",
        "require_user": false,
        "auth_query": "SELECT * FROM pgbouncer.get_auth($1)",
        "default_max_clients": "100",
        "default_pool_size": "20",
        "default_parameter_status": { "server_version": "17.6 (Debian 17.6-1.pgdg13+1)" },
        "users": [{
            "db_user": "pgbouncer",
            "db_password": "pw \"with\" quotes\\",
            "mode_type": "transaction",
            "pool_size": "20",
            "is_manager": true,
        }],
    });
    assert_eq!(creates[0]["attrs"], expected);
    assert_eq!(std::fs::read_to_string(scratch.path("tenants")).unwrap_or_default(), "aiwah-tenant\n");
}

#[test]
fn a_restart_finds_the_tenant_and_changes_nothing() {
    require_elixir();
    let scratch = Scratch::new();
    let (first, _) = scratch.run(&script(), &STACK_ENV);
    assert!(first.status.success(), "first start failed: {}", stderr(&first));
    let (second, calls) = scratch.run(&script(), &STACK_ENV);
    assert!(second.status.success(), "second start failed: {}", stderr(&second));
    assert_eq!(calls, vec![json!({"call": "get_tenant_by_external_id", "external_id": "aiwah-tenant"})]);
    assert_eq!(std::fs::read_to_string(scratch.path("tenants")).unwrap_or_default(), "aiwah-tenant\n");
}

#[test]
fn without_postgres_host_the_tenant_points_at_service_db() {
    require_elixir();
    let scratch = Scratch::new();
    let env: Vec<(&str, &str)> = STACK_ENV.iter().copied().filter(|(k, _)| *k != "POSTGRES_HOST").collect();
    let (out, calls) = scratch.run(&script(), &env);
    assert!(out.status.success(), "pooler.exs failed: {}", stderr(&out));
    assert_eq!(created(&calls)[0]["attrs"]["db_host"], "db");
}

#[test]
fn the_environment_it_reads_is_what_compose_gives_supavisor() {
    let text = std::fs::read_to_string(script()).expect("pooler.exs");
    let read: BTreeSet<&str> = text.split("env.(\"").skip(1).filter_map(|rest| rest.split('"').next()).collect();
    let expected: BTreeSet<&str> = STACK_ENV.iter().map(|(k, _)| *k).collect();
    assert_eq!(read, expected, "pooler.exs reads other variables than the test gives it");
    let compose = std::fs::read_to_string(root().join("stacks/supabase/compose.yml")).expect("compose.yml");
    let supavisor: String =
        compose.lines().skip_while(|l| *l != "  supavisor:").skip(1).take_while(|l| l.is_empty() || l.starts_with("   ")).collect::<Vec<_>>().join("\n");
    for name in expected.iter().filter(|n| **n != "POSTGRES_HOST") {
        assert!(supavisor.contains(&format!("      {name}:")), "compose gives supavisor no {name}");
    }
}

/// The stand-in is strict enough to catch a broken script: a misspelt attribute, an unset variable.
#[test]
fn a_broken_tenant_script_fails() {
    require_elixir();
    let scratch = Scratch::new();
    let original = std::fs::read_to_string(script()).expect("pooler.exs");
    let broken = scratch.path("broken.exs");
    std::fs::write(&broken, original.replacen("\"default_pool_size\" =>", "\"default_poolsize\" =>", 1)).expect("write");
    let (out, calls) = scratch.run(&broken, &STACK_ENV);
    assert!(!out.status.success(), "a misspelt tenant attribute went unnoticed");
    assert_eq!(created(&calls)[0]["problems"], json!(["tenant: unknown field default_poolsize"]));

    let env: Vec<(&str, &str)> = STACK_ENV.iter().copied().filter(|(k, _)| *k != "POOLER_POOL_MODE").collect();
    let (out, calls) = scratch.run(&script(), &env);
    assert!(!out.status.success(), "an unset POOLER_POOL_MODE went unnoticed");
    assert_eq!(created(&calls)[0]["problems"], json!(["user pgbouncer: mode_type can't be blank"]));
    assert!(!scratch.path("tenants").exists(), "a failed create left a tenant behind");
}
