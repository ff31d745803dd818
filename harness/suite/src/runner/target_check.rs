//! A trial the conformance binary runs on itself in target mode (no engine, no platform): against a
//! target file that gives only URLs and keys, a scenario needing Docker, SQL or the JWT secret is
//! listed as ignored (nextest: SKIP) and, forced to run, fails naming what the target lacks —
//! never passes. The control: a scenario needing none of these is listed to run.

use std::path::Path;
use std::process::Command;

use libtest_mimic::{Failed, Trial};

use aiwah_harness::suite::catalog::Case;
use aiwah_harness::suite::shared;
use aiwah_harness::suite::target::{Capability, TARGET_ENV};

pub const NOT_APPLICABLE_CHECK: &str = "conformance::in target mode a scenario needing what the target lacks is not applicable, never passed";

pub fn trials(cases: &[Case]) -> Vec<Trial> {
    let cases = cases.to_vec();
    vec![Trial::test(NOT_APPLICABLE_CHECK, move || not_applicable(&cases).map_err(Failed::from))]
}

/// Nothing listens on port 9 of the loopback: a scenario that ran would fail, not pass.
const BARE_TARGET: &str = r#"kong_url = "http://127.0.0.1:9"
anon_key = "anon"
service_role_key = "service"
n8n_url = "http://127.0.0.1:9"
n8n_api_key = "key"
ui_url = "http://127.0.0.1:9"
"#;

fn not_applicable(cases: &[Case]) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("aiwah-target-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let file = dir.join("bare-target.toml");
    std::fs::write(&file, BARE_TARGET).map_err(|e| format!("{}: {e}", file.display()))?;
    let result = check(cases, &file, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn check(cases: &[Case], file: &Path, dir: &Path) -> Result<(), String> {
    let run = |args: &[&str]| -> Result<(bool, String), String> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let out = Command::new(&exe)
            .args(args)
            .env(TARGET_ENV, file)
            .env(shared::REPORTS_ENV, dir.join("reports"))
            .env_remove(shared::HANDLE_ENV)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
        Ok((out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))))
    };
    let (_, ignored) = run(&["--list", "--ignored", "--format", "terse"])?;
    let (_, all) = run(&["--list", "--format", "terse"])?;
    let listed = |list: &str, name: &str| list.lines().any(|l| l.strip_suffix(": test") == Some(name));
    // Every capability some scenario uses alone (a features folder of a few concerns, as accept's test
    // folder, may not use them all); at least one, or this check would prove nothing.
    let checked: Vec<(Capability, &Case)> =
        Capability::ALL.into_iter().filter_map(|capability| Some((capability, cases.iter().find(|c| c.uses == [capability])?))).collect();
    if checked.is_empty() {
        return Err("no scenario uses exactly one capability: nothing to check not-applicable verdicts with".into());
    }
    for (capability, case) in checked {
        if !listed(&ignored, &case.name) {
            return Err(format!("{} (uses {}) is not listed as ignored against a target without it:\n{ignored}", case.name, capability.tag()));
        }
        let (passed, out) = run(&["--exact", &case.name, "--ignored"])?;
        let says = format!("not applicable to this target: {} gives no {}", file.display(), capability.key());
        if passed || !out.contains(&says) || !out.contains("never passes") {
            return Err(format!("{} forced to run: passed={passed}, expected a failure saying {says:?}:\n{out}", case.name));
        }
    }
    let control = cases.iter().find(|c| c.uses.is_empty()).ok_or("no scenario uses nothing beyond URLs and keys")?;
    if !listed(&all, &control.name) || listed(&ignored, &control.name) {
        return Err(format!("the control {} is not listed to run against the target:\n{all}", control.name));
    }
    Ok(())
}
