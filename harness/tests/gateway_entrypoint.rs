//! `gateway-entrypoint.sh` run for real with `sh` (dash, as in Kong's Ubuntu image), a stand-in for
//! Kong's `/entrypoint.sh` recording how it was called: the config it leaves is filled in, private,
//! and Kong is started; bad keys stop it with one line naming the variable.

#[path = "support/kong_schema.rs"]
mod kong_schema;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use aiwah_harness::gateway::kong::{DIR, ENTRYPOINT};

const ANON: &str = "legacy-anon-key-stand-in";
const SERVICE: &str = "legacy-service-role-key-stand-in";
const PUBLISHABLE: &str = "sb_publishable_abcDEF123";
const SECRET: &str = "sb_secret_ghiJKL456";

struct Run {
    dir: tempfile::TempDir,
    out: Output,
}

impl Run {
    fn config_path(&self) -> PathBuf {
        self.dir.path().join("kong.yml")
    }

    fn config(&self) -> String {
        std::fs::read_to_string(self.config_path()).unwrap_or_else(|e| panic!("no config written ({e}); stderr: {}", self.stderr()))
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }

    /// What the stand-in for Kong's entrypoint was called with, if it was.
    fn kong_started_with(&self) -> Option<String> {
        std::fs::read_to_string(self.dir.path().join("kong-args")).ok()
    }
}

fn legacy_env() -> Vec<(&'static str, String)> {
    vec![
        ("SUPABASE_ANON_KEY", ANON.into()),
        ("SUPABASE_SERVICE_KEY", SERVICE.into()),
        ("DASHBOARD_USERNAME", "supabase".into()),
        ("DASHBOARD_PASSWORD", "Dash8oardPassw0rd".into()),
        ("JWT_ISSUER", "http://localhost:8000".into()),
    ]
}

fn opaque_env() -> Vec<(&'static str, String)> {
    let mut env = legacy_env();
    env.extend([
        ("SUPABASE_PUBLISHABLE_KEY", PUBLISHABLE.into()),
        ("SUPABASE_SECRET_KEY", SECRET.into()),
        ("ANON_KEY_ASYMMETRIC", "asymmetric-anon-jwt-stand-in".into()),
        ("SERVICE_ROLE_KEY_ASYMMETRIC", "asymmetric-service-role-jwt-stand-in".into()),
    ]);
    env
}

fn run(env: &[(&str, String)]) -> Run {
    let root = aiwah_harness::repo::this_checkout();
    let dir = tempfile::tempdir().unwrap();
    let stand_in = dir.path().join("entrypoint.sh");
    std::fs::write(&stand_in, format!("#!/bin/sh\necho \"$@\" > '{}'\n", dir.path().join("kong-args").display())).unwrap();
    std::fs::set_permissions(&stand_in, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = Command::new("sh")
        .arg(root.join(ENTRYPOINT))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("KONG_DECLARATIVE_CONFIG", dir.path().join("kong.yml"))
        .env("AIWAH_GATEWAY_CONFIGS", root.join(DIR))
        .env("AIWAH_KONG_ENTRYPOINT", &stand_in)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("sh runs");
    Run { dir, out }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn keys_of<'c>(config: &'c kong_schema::Config, consumer: &str) -> Vec<&'c str> {
    config.consumers.iter().filter(|c| c.username == consumer).flat_map(|c| c.keyauth_credentials.iter().map(|k| k.key.as_str())).collect()
}

#[test]
fn legacy_keys_fill_the_legacy_config_and_start_kong() {
    let run = run(&legacy_env());
    assert!(run.out.status.success(), "{}", run.stderr());
    assert_eq!(run.kong_started_with().as_deref(), Some("kong docker-start\n"));
    let text = run.config();
    assert!(!text.contains("${"), "placeholders left:\n{text}");
    let config = kong_schema::parse(&text).unwrap();
    assert_eq!(keys_of(&config, "anon"), [ANON]);
    assert_eq!(keys_of(&config, "service_role"), [SERVICE]);
    let login = &config.consumers.iter().find(|c| c.username == "DASHBOARD").unwrap().basicauth_credentials[0];
    assert_eq!((login.username.as_str(), login.password.as_str()), ("supabase", "Dash8oardPassw0rd"));
    let paths: Vec<&str> = config.services.iter().flat_map(|s| &s.routes).flat_map(|r| r.paths.iter().flatten()).map(String::as_str).collect();
    assert!(paths.contains(&"/.well-known/oauth-authorization-server"), "{paths:?}");
    assert_eq!(mode(&run.config_path()), 0o600);
    assert!(!run.dir.path().join("kong.yml.partial").exists());
}

#[test]
fn both_opaque_keys_select_the_opaque_config() {
    let run = run(&opaque_env());
    assert!(run.out.status.success(), "{}", run.stderr());
    let text = run.config();
    assert!(!text.contains("${"), "placeholders left:\n{text}");
    let config = kong_schema::parse(&text).unwrap();
    assert_eq!(keys_of(&config, "anon"), [ANON, PUBLISHABLE]);
    assert_eq!(keys_of(&config, "service_role"), [SERVICE, SECRET]);
    assert!(text.contains(&format!("(headers.apikey == '{SECRET}' and 'Bearer asymmetric-service-role-jwt-stand-in')")), "{text}");
    assert_eq!(run.kong_started_with().as_deref(), Some("kong docker-start\n"));
}

#[test]
fn one_opaque_key_alone_is_refused_naming_the_other() {
    for (given, missing) in [("SUPABASE_PUBLISHABLE_KEY", "SUPABASE_SECRET_KEY"), ("SUPABASE_SECRET_KEY", "SUPABASE_PUBLISHABLE_KEY")] {
        let env: Vec<_> = opaque_env().into_iter().filter(|(k, _)| *k != missing).collect();
        let run = run(&env);
        assert!(!run.out.status.success(), "{given} alone was accepted");
        assert!(run.stderr().contains(&format!("{given} is set but {missing} is not")), "{}", run.stderr());
        assert_eq!(run.stderr().lines().count(), 1, "{}", run.stderr());
        assert!(run.kong_started_with().is_none() && !run.config_path().exists(), "Kong started anyway");
    }
}

#[test]
fn missing_or_unsafe_values_are_refused_naming_the_variable() {
    let without = |name: &str| legacy_env().into_iter().filter(|(k, _)| *k != name).collect::<Vec<_>>();
    let with = |name: &'static str, value: &str| {
        let mut env = without(name);
        env.push((name, value.to_owned()));
        env
    };
    for (env, wanted) in [
        (without("DASHBOARD_PASSWORD"), "DASHBOARD_PASSWORD is empty or not set"),
        (without("SUPABASE_ANON_KEY"), "SUPABASE_ANON_KEY is empty or not set"),
        (with("DASHBOARD_PASSWORD", "pa\"ss"), "DASHBOARD_PASSWORD holds a quote"),
        (with("SUPABASE_SERVICE_KEY", "it's"), "SUPABASE_SERVICE_KEY holds a quote"),
        (with("JWT_ISSUER", "localhost:8000"), "JWT_ISSUER must be an http:// or https:// URL"),
    ] {
        let run = run(&env);
        assert!(!run.out.status.success(), "accepted: {wanted}");
        assert!(run.stderr().contains(wanted), "expected {wanted:?}, got {}", run.stderr());
        assert!(run.kong_started_with().is_none(), "Kong started anyway ({wanted})");
    }
}

#[test]
fn the_oauth_metadata_path_follows_the_issuers_path() {
    for (issuer, wanted) in [
        ("https://api.example.org", "/.well-known/oauth-authorization-server"),
        ("https://api.example.org/", "/.well-known/oauth-authorization-server"),
        ("https://example.org/auth/v1//", "/.well-known/oauth-authorization-server/auth/v1"),
    ] {
        let mut env = legacy_env();
        env.retain(|(k, _)| *k != "JWT_ISSUER");
        env.push(("JWT_ISSUER", issuer.into()));
        let run = run(&env);
        assert!(run.out.status.success(), "{}", run.stderr());
        assert!(run.config().contains(&format!("\"{wanted}\"")), "{issuer}: {wanted} not routed");
    }
}
