//! Target mode for real: a second persistent deployment (`cargo xtask up --offline` under its own
//! `AIWAH_DEPLOYMENT`, env file, network and ports), its target file from `status -o target`, and
//! the conformance suite run twice — against that target, and in its own ephemeral copy — giving
//! the same per-scenario results. Then: no test user of the target run is left in its database.
//! Slow (two suite runs and a deployment): nextest gives it an hour (.config/nextest.toml).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};

use aiwah_harness::engine::docker;
use aiwah_harness::suite::target::{Capability, Target};
use aiwah_harness::testing::Throwaway;

fn root() -> PathBuf {
    aiwah_harness::repo::this_checkout()
}

/// The second deployment: the shared throwaway rig (name, env file, network, ports of its own). Its
/// shell ([`Throwaway::env`]) is the one the target run gets too: a `[docker]` deployment is opened
/// the way `cargo xtask status` opens it.
struct Second {
    rig: Throwaway,
}

impl Second {
    fn new() -> Second {
        Second { rig: Throwaway::new("aiwah-target", env!("CARGO_BIN_EXE_xtask")) }
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        self.rig.env()
    }

    fn xtask(&self, args: &[&str]) -> Output {
        self.rig.run(args)
    }

    fn ok(&self, args: &[&str]) -> String {
        self.rig.ok(args)
    }

    fn containers(&self) -> Vec<String> {
        self.rig.labelled(docker::Kind::Container)
    }
}

/// `cargo nextest run` of the conformance suite (offline images); `envs` added. Returns the
/// per-scenario status nextest printed (PASS, SKIP, FAIL, ...) and all of its output.
fn run_suite(envs: &[(&str, String)]) -> (BTreeMap<String, String>, String) {
    let mut cmd = Command::new("cargo");
    cmd.args(["nextest", "run", "-p", "aiwah-suite", "--test", "conformance", "--no-fail-fast", "--status-level", "all", "--final-status-level", "none"])
        .args(["--success-output", "final"])
        .current_dir(root())
        .env("AIWAH_IMAGE_SOURCE", "offline")
        .env_remove("AIWAH_TARGET")
        .stdin(std::process::Stdio::null());
    // The outer nextest's variables describe this test, not the run started here.
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("NEXTEST")) {
        cmd.env_remove(key);
    }
    cmd.envs(envs.iter().map(|(k, v)| (k, v)));
    let out = cmd.output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let statuses = text
        .lines()
        .filter_map(|line| {
            let (status, rest) = line.trim_start().split_once(' ')?;
            let name = rest.split_once("aiwah-suite::conformance ")?.1;
            ["PASS", "SKIP", "FAIL", "TIMEOUT", "SIGKILL", "SIGSEGV", "ABORT"].contains(&status).then(|| (name.trim().to_string(), status.to_string()))
        })
        // A scenario's status line is printed once; the outputs shown at the end repeat names only in headers.
        .fold(BTreeMap::new(), |mut all, (name, status)| {
            all.entry(name).or_insert(status);
            all
        });
    (statuses, text)
}

/// `psql` in the database container, with the target file's database URL.
fn psql(second: &Second, url: &str, sql: &str) -> String {
    let db = second.containers().into_iter().find(|c| c.contains("-supabase-db-")).expect("the Supabase database container");
    docker::docker(&["exec", &db, "psql", url, "-v", "ON_ERROR_STOP=1", "-tA", "-c", sql]).unwrap().trim().to_string()
}

#[test]
fn the_suite_against_a_running_deployment_gives_the_ephemeral_results_and_leaves_no_test_data() {
    let second = Second::new();
    second.ok(&["up", "--offline", "--timeout", "900"]);
    assert!(!second.containers().is_empty(), "up started the second deployment");

    let file = second.rig.dir().join("target.toml");
    let shown = second.ok(&["status", "-o", "target", file.to_str().unwrap()]);
    let target = Target::load(&file).unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600, "the target file holds keys");
    for secret in [&target.anon_key, &target.service_role_key, target.jwt_secret.as_ref().unwrap(), &target.n8n_api_key] {
        assert!(!shown.contains(secret.as_str()), "status -o target printed a secret: {shown}");
    }
    assert_eq!(target.kong_url, format!("http://127.0.0.1:{}", second.rig.ports.kong_http));
    assert_eq!(target.docker.as_ref().unwrap().deployment, second.rig.name);
    let again = second.xtask(&["status", "-o", "target", file.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(!again.status.success() && err.lines().any(|l| l.starts_with("error: ") && l.contains("exists already") && l.contains("--force")), "{err}");
    assert_eq!(Target::load(&file).unwrap(), target, "a refused status -o target leaves the file as it was");

    let run = aiwah_harness::suite::target::new_run_id();
    let mut target_env = second.env();
    target_env.extend([("AIWAH_TARGET", file.display().to_string()), ("AIWAH_TARGET_RUN", run.clone())]);
    let (against_target, target_output) = run_suite(&target_env);
    let (ephemeral, ephemeral_output) = run_suite(&[]);
    assert!(
        ephemeral.values().any(|s| s == "PASS") && ephemeral.values().any(|s| s == "SKIP"),
        "the ephemeral run passed and skipped something:\n{ephemeral_output}"
    );
    // Fault scenarios kill databases in a copy of their own: never against a target (listed as skipped there).
    let own_copy: Vec<String> =
        aiwah_harness::suite::catalog::load(&root()).unwrap().into_iter().filter(|c| c.uses.contains(&Capability::OwnCopy)).map(|c| c.name).collect();
    let fault_statuses: Vec<(&String, Option<&String>)> = own_copy.iter().map(|name| (name, against_target.get(name))).collect();
    assert!(
        !own_copy.is_empty() && fault_statuses.iter().all(|(_, status)| status.map(String::as_str) == Some("SKIP")),
        "fault scenarios are listed as skipped against a target: {fault_statuses:?}"
    );
    let differences: Vec<String> = ephemeral
        .keys()
        .chain(against_target.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter(|name| !own_copy.contains(name))
        .filter(|name| ephemeral.get(*name) != against_target.get(*name))
        .map(|name| format!("{name}: ephemeral {:?}, target {:?}", ephemeral.get(name), against_target.get(name)))
        .collect();
    assert!(differences.is_empty(), "target mode differs from the ephemeral run:\n{}\n--- target run ---\n{target_output}", differences.join("\n"));
    println!("{} scenarios, the same status in both runs: {:?}", ephemeral.len(), count(&ephemeral));

    // The target run tagged its users with the run id and removed them.
    let removed: usize = target_output
        .lines()
        .filter(|l| l.contains(&format!("target: removed the test data tagged {run}-")))
        .filter_map(|l| l.split('(').nth(1)?.split(' ').next()?.parse::<usize>().ok())
        .sum();
    assert!(removed > 0, "the target run made and removed run-tagged users (the check below has something to find)");
    let url = target.database.as_ref().unwrap().url();
    let tagged = format!("select count(*) from auth.users where email like '%.{run}-%'");
    // Positive control: the query sees a user tagged with the run id.
    psql(
        &second,
        &url,
        &format!(
            "insert into auth.users (instance_id, id, aud, role, email) values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', 'control.x.{run}-ctl@aiwah.test')"
        ),
    );
    assert_eq!(psql(&second, &url, &tagged), "1", "the leftover query finds a run-tagged user");
    psql(&second, &url, &format!("delete from auth.users where email = 'control.x.{run}-ctl@aiwah.test'"));
    assert_eq!(psql(&second, &url, &tagged), "0", "users of run {run} (and with them their todos) left in the target's database");
}

fn count(statuses: &BTreeMap<String, String>) -> BTreeMap<&str, usize> {
    statuses.values().fold(BTreeMap::new(), |mut n, s| {
        *n.entry(s.as_str()).or_insert(0) += 1;
        n
    })
}
