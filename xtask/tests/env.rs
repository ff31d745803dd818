//! `cargo xtask env` end to end: the real binary on a temporary `.env`.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use aiwah_harness::secrets::dotenv::DotEnv;
use aiwah_harness::secrets::keys::verify_api_key;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask")).args(args).stdin(std::process::Stdio::null()).output().unwrap()
}

fn env_at(path: &Path) -> DotEnv {
    DotEnv::parse(&std::fs::read_to_string(path).unwrap())
}

fn run_env(path: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["env", "--file", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    xtask(&args)
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn second_run_changes_nothing_and_keys_verify_with_a_standard_jwt_library() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".env");
    let first = run_env(&path, &[]);
    assert!(first.status.success(), "{}", text(&first));
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    let before = std::fs::read(&path).unwrap();

    let second = run_env(&path, &[]);
    assert!(second.status.success(), "{}", text(&second));
    assert!(text(&second).contains("nothing changed"), "{}", text(&second));
    assert_eq!(std::fs::read(&path).unwrap(), before, "second run rewrote .env");

    let env = env_at(&path);
    let secret = env.get("JWT_SECRET").unwrap();
    assert!(secret.len() >= 32);
    // Verify with jsonwebtoken directly (not through our helper): HS256, the raw secret's bytes.
    for (key, role) in [("ANON_KEY", "anon"), ("SERVICE_ROLE_KEY", "service_role")] {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_aud = false;
        let data = jsonwebtoken::decode::<serde_json::Value>(env.get(key).unwrap(), &DecodingKey::from_secret(secret.as_bytes()), &validation).unwrap();
        assert_eq!(data.claims["role"], role);
        assert_eq!(data.claims["iss"], "supabase");
        assert!(data.claims["exp"].as_u64().unwrap() > data.claims["iat"].as_u64().unwrap());
        assert!(verify_api_key(env.get(key).unwrap(), "some-other-secret-of-enough-length!!").is_err());
    }
    assert!(bcrypt::verify(env.get("N8N_OWNER_PASSWORD").unwrap(), env.get("N8N_OWNER_PASSWORD_HASH").unwrap()).unwrap());
    assert_eq!(env.get("REALTIME_DB_ENC_KEY").unwrap().len(), 16);
}

#[test]
fn output_never_shows_a_secret_in_full() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".env");
    std::fs::write(&path, "# mine\nKEEP_ME=1\n").unwrap();
    let out = run_env(&path, &[]);
    assert!(out.status.success(), "{}", text(&out));
    let env = env_at(&path);
    for key in ["JWT_SECRET", "SERVICE_ROLE_KEY", "POSTGRES_PASSWORD", "N8N_ENCRYPTION_KEY"] {
        assert!(!text(&out).contains(env.get(key).unwrap()), "{key} printed in full");
    }
    assert!(text(&out).contains("added "), "{}", text(&out));
    assert!(text(&out).contains("  JWT_SECRET = "), "{}", text(&out));
}

#[test]
fn missing_keys_are_added_and_existing_values_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".env");
    assert!(run_env(&path, &[]).status.success());
    let original = env_at(&path);
    let kept: String = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("N8N_ENCRYPTION_KEY=") && !l.starts_with("SITE_URL="))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&path, kept).unwrap();

    let out = run_env(&path, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("added 2 missing keys"), "{}", text(&out));
    assert!(text(&out).contains("N8N_ENCRYPTION_KEY") && text(&out).contains("SITE_URL"), "{}", text(&out));
    let now = env_at(&path);
    assert_eq!(now.get("JWT_SECRET"), original.get("JWT_SECRET"));
    assert_eq!(now.get("ANON_KEY"), original.get("ANON_KEY"));
    assert_ne!(now.get("N8N_ENCRYPTION_KEY"), original.get("N8N_ENCRYPTION_KEY"), "a fresh key is generated");
}

#[test]
fn invalid_existing_values_are_reported_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".env");
    assert!(run_env(&path, &[]).status.success());
    let env = std::fs::read_to_string(&path).unwrap();
    let broken =
        env.lines().map(|l| if l.starts_with("JWT_SECRET=") { "JWT_SECRET=short".to_string() } else { l.to_string() }).map(|l| l + "\n").collect::<String>();
    std::fs::write(&path, &broken).unwrap();
    let out = run_env(&path, &[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error: .env: JWT_SECRET: is 5 characters; at least 48 needed"), "{err}");
    assert!(err.contains("error: .env: ANON_KEY: does not verify with JWT_SECRET"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), broken, "a failing run must not write");
}

#[test]
fn demo_values_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".env");
    let demo = aiwah_harness::secrets::demo::KNOWN_DEMO_VALUES.iter().find(|v| v.starts_with("this_password")).unwrap();
    std::fs::write(&path, format!("DASHBOARD_PASSWORD={demo}\n")).unwrap();
    let out = run_env(&path, &[]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("error: .env: DASHBOARD_PASSWORD: is an upstream demo value"), "{}", text(&out));
}

#[test]
fn loose_permissions_are_tightened_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".env");
    assert!(run_env(&path, &[]).status.success());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = run_env(&path, &[]);
    assert!(out.status.success());
    assert!(text(&out).contains("mode set to 0600"), "{}", text(&out));
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
}

#[test]
fn rotation_needs_confirmation_warns_and_keeps_a_backup() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".env");
    assert!(run_env(&path, &[]).status.success());
    let before = env_at(&path);

    let refused = run_env(&path, &["--rotate", "JWT_SECRET"]);
    assert!(!refused.status.success(), "rotation without --yes on a non-terminal must refuse");
    assert_eq!(env_at(&path), before);

    let out = run_env(&path, &["--rotate", "JWT_SECRET", "--yes"]);
    assert!(out.status.success(), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("warning: rotating JWT_SECRET: every issued token"), "{err}");
    assert!(err.contains("warning: rotating ANON_KEY"), "{err}");
    let after = env_at(&path);
    assert_ne!(after.get("JWT_SECRET"), before.get("JWT_SECRET"));
    assert_ne!(after.get("ANON_KEY"), before.get("ANON_KEY"));
    assert_eq!(after.get("POSTGRES_PASSWORD"), before.get("POSTGRES_PASSWORD"));
    assert!(verify_api_key(after.get("ANON_KEY").unwrap(), after.get("JWT_SECRET").unwrap()).is_ok());

    let backup = std::fs::read_dir(dir.path()).unwrap().flatten().find(|e| e.file_name().to_string_lossy().starts_with(".env.bak-")).expect("backup written");
    assert_eq!(env_at(&backup.path()), before);
    assert_eq!(backup.metadata().unwrap().permissions().mode() & 0o777, 0o600);

    let unknown = run_env(&path, &["--rotate", "SITE_URL", "--yes"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("SITE_URL: is not a generated secret"), "{}", text(&unknown));
}

#[test]
fn rotation_repairs_an_invalid_value_and_never_overwrites_a_backup() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".env");
    assert!(run_env(&path, &[]).status.success());
    // A key that no longer verifies: `env` refuses it and points at --rotate, which must then work.
    let broken: String = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| if l.starts_with("ANON_KEY=") { "ANON_KEY=not-a-jwt".to_string() } else { l.to_string() })
        .map(|l| l + "\n")
        .collect();
    std::fs::write(&path, &broken).unwrap();
    assert!(!run_env(&path, &[]).status.success());
    let fixed = run_env(&path, &["--rotate", "ANON_KEY", "--yes"]);
    assert!(fixed.status.success(), "{}", text(&fixed));
    assert!(run_env(&path, &[]).status.success(), "valid again");
    // Twice in the same second: two backups, the first one intact.
    assert!(run_env(&path, &["--rotate", "N8N_ENCRYPTION_KEY", "--yes"]).status.success());
    assert!(run_env(&path, &["--rotate", "N8N_ENCRYPTION_KEY", "--yes"]).status.success());
    let backups = std::fs::read_dir(dir.path()).unwrap().flatten().filter(|e| e.file_name().to_string_lossy().starts_with(".env.bak-")).count();
    assert_eq!(backups, 3, "one backup per rotation");
}
