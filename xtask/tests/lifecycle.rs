//! The persistent lifecycle end to end with the real binary and the real engine (offline images):
//! up, status, logs, restart, down, up again with the data still there, clean. Runs under its own
//! deployment name, env file, network and port so it never touches a developer's deployment.

use std::process::Output;

use aiwah_harness::engine::docker;
use aiwah_harness::engine::overrides::labels;
use aiwah_harness::testing::{StackCopy, Throwaway, output_text};

/// A throwaway persistent deployment (the shared rig) with what these tests look at.
struct Lifecycle {
    rig: Throwaway,
    name: String,
    port: u16,
}

impl Lifecycle {
    fn new() -> Lifecycle {
        let rig = Throwaway::new("aiwah-life", env!("CARGO_BIN_EXE_xtask"));
        Lifecycle { name: rig.name.clone(), port: rig.ports.n8n, rig }
    }

    fn xtask(&self, args: &[&str]) -> Output {
        self.rig.run(args)
    }

    /// With `AIWAH_IMAGE_SOURCE=source`: a command that resolved the plan again would decide other tiers.
    fn xtask_from(&self, args: &[&str], source: &str) -> Output {
        self.rig.command(args).env("AIWAH_IMAGE_SOURCE", source).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        self.rig.ok(args)
    }

    fn ok_from(&self, args: &[&str], source: &str) -> String {
        let out = self.xtask_from(args, source);
        assert!(out.status.success(), "xtask {args:?} failed:\n{}", output_text(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn workdir(&self) -> std::path::PathBuf {
        self.rig.workdir()
    }

    /// Every file of the work folder with its modification time and a digest of its content (the
    /// files hold keys: a failure shows digests only).
    fn written(&self) -> Vec<(String, std::time::SystemTime, u64)> {
        use std::hash::{Hash as _, Hasher as _};
        let digest = |p: &std::path::Path| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            std::fs::read(p).unwrap().hash(&mut h);
            h.finish()
        };
        let mut files: Vec<_> = std::fs::read_dir(self.workdir())
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::metadata(&p).unwrap().modified().unwrap(), digest(&p)))
            .collect();
        files.sort();
        files
    }

    /// `service → io.aiwah.tier` of this deployment's containers, as the engine has them.
    fn container_tiers(&self) -> std::collections::BTreeMap<String, String> {
        self.labelled(docker::Kind::Container)
            .iter()
            .map(|c| {
                let label = |key| docker::label_of(docker::Kind::Container, c, key).unwrap().unwrap_or_default();
                (label(labels::SERVICE), label(labels::TIER))
            })
            .collect()
    }

    fn labelled(&self, kind: docker::Kind) -> Vec<String> {
        self.rig.labelled(kind)
    }

    fn psql(&self, sql: &str) -> String {
        psql(&self.rig, sql)
    }
}

/// `psql` as n8n's database owner in the n8n stack's PostgreSQL.
fn psql(rig: &Throwaway, sql: &str) -> String {
    docker::docker(&["exec", &rig.container("n8n", "postgres"), "psql", "-v", "ON_ERROR_STOP=1", "-tA", "-U", "n8n_admin", "-d", "n8n", "-c", sql]).unwrap()
}

#[test]
fn up_status_logs_restart_down_up_keeps_data_then_clean_removes_everything() {
    let life = Lifecycle::new();

    let up = life.ok(&["up", "n8n"]);
    assert!(up.contains(&format!("http://127.0.0.1:{}", life.port)), "{up}");
    assert!(life.rig.env_file().is_file(), "up writes the env file when it is missing");

    let written = life.written();
    assert!(written.iter().any(|(f, _, _)| f.ends_with("n8n.override.yml")) && written.iter().any(|(f, _, _)| f.ends_with("deployment.json")), "{written:?}");

    let json: serde_json::Value = serde_json::from_str(&life.ok_from(&["status", "n8n", "-o", "json"], "registry")).unwrap();
    let n8n = json.as_array().unwrap().iter().find(|r| r["service"] == "n8n").unwrap();
    assert_eq!(n8n["health"], "healthy", "{json}");
    assert_eq!(n8n["tier"], "substitute", "{json}");
    // The tier column is what each container carries.
    let tiers = life.container_tiers();
    for row in json.as_array().unwrap() {
        assert_eq!(row["tier"].as_str(), tiers.get(row["service"].as_str().unwrap()).map(String::as_str), "{row} vs {tiers:?}");
    }
    let env = life.ok_from(&["status", "n8n", "-o", "env"], "registry");
    assert!(env.contains("AIWAH_N8N_N8N_STATE=running"), "{env}");
    assert!(env.contains(&format!("AIWAH_N8N_N8N_URL=http://127.0.0.1:{}", life.port)), "{env}");

    life.psql("create table keep_me (v text); insert into keep_me values ('still here')");
    let logs = life.ok_from(&["logs", "n8n/postgres", "--tail", "20"], "registry");
    assert!(!logs.trim().is_empty());
    let unknown = life.xtask(&["logs", "nosuchservice"]);
    assert!(String::from_utf8_lossy(&unknown.stderr).lines().any(|l| l.starts_with("error: ") && l.contains("is neither a stack nor a service")));
    life.ok_from(&["restart", "n8n/n8n"], "registry");
    assert_eq!(life.written(), written, "status, logs and restart rewrite nothing `up` wrote");

    // Even when the files say otherwise, status shows the tier the container was created with.
    let override_file = life.workdir().join("n8n.override.yml");
    let text = std::fs::read_to_string(&override_file).unwrap();
    assert!(text.contains("io.aiwah.tier: \"substitute\""), "{text}");
    std::fs::write(&override_file, text.replace("io.aiwah.tier: \"substitute\"", "io.aiwah.tier: \"official\"")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&life.ok_from(&["status", "n8n", "-o", "json"], "registry")).unwrap();
    assert_eq!(json.as_array().unwrap().iter().find(|r| r["service"] == "n8n").unwrap()["tier"], "substitute", "{json}");
    std::fs::write(&override_file, &text).unwrap();

    let written = life.written();
    life.ok_from(&["down", "n8n"], "registry");
    assert_eq!(life.written(), written, "down rewrites nothing `up` wrote");
    assert!(life.labelled(docker::Kind::Container).is_empty(), "down removes containers");
    assert_eq!(life.labelled(docker::Kind::Volume).len(), 2, "down keeps both volumes");

    life.ok(&["up", "n8n"]);
    assert_eq!(life.psql("select v from keep_me").trim(), "still here");

    let refused = life.xtask(&["clean", "--volumes"]);
    assert!(!refused.status.success(), "deleting data needs confirmation");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("add --yes"));
    assert_eq!(life.labelled(docker::Kind::Volume).len(), 2, "a refused clean deletes nothing");

    life.ok(&["clean", "--volumes", "--yes"]);
    for kind in [docker::Kind::Container, docker::Kind::Network, docker::Kind::Volume] {
        assert!(life.labelled(kind).is_empty(), "{kind:?} left after clean");
    }
}

#[test]
fn bad_input_gives_one_line_and_a_non_zero_exit() {
    let life = Lifecycle::new();
    // Commands that read a running deployment refuse one that `up` never started (and write nothing).
    let never_started = format!("deployment {}: was not started from this checkout", life.name);
    for (args, needle) in [
        (vec!["up", "nosuchstack"], "no stack named \"nosuchstack\""),
        (vec!["logs", "n8n"], never_started.as_str()),
        (vec!["status"], never_started.as_str()),
        (vec!["down"], never_started.as_str()),
    ] {
        let out = life.xtask(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(err.lines().any(|l| l.starts_with("error: ") && l.contains(needle)), "{args:?}: {err}");
    }
    assert!(life.labelled(docker::Kind::Container).is_empty(), "a refused command starts nothing");
    assert!(!life.workdir().join("n8n.override.yml").exists(), "a refused command writes no override");
}

#[test]
fn a_port_in_use_is_named_and_nothing_is_left_running() {
    let life = Lifecycle::new();
    let _holder = std::net::TcpListener::bind(("127.0.0.1", life.port)).unwrap();
    let out = life.xtask(&["up", "n8n"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.lines().any(|l| l.starts_with("error: stack n8n: a host port is in use") && l.contains(&life.port.to_string())), "{err}");
    assert!(life.labelled(docker::Kind::Container).is_empty(), "up stops again what it started: {:?}", life.labelled(docker::Kind::Container));
    assert_eq!(life.labelled(docker::Kind::Volume).len(), 2, "...and keeps the volumes");
    // `up` wrote the deployment's work folder; the test's end removes it with the volumes.
    let workdir = life.workdir();
    assert!(workdir.join("deployment.json").is_file(), "positive control: {} exists while the test runs", workdir.display());
    drop(life);
    assert!(!workdir.exists(), "{} outlived the test", workdir.display());
}

/// `restart` applies a compose file changed since `up`: the changed service is recreated with the new
/// configuration, the unchanged one keeps its container, and the volumes are the same ones (names, and
/// the data written before in each). Runs over a copy of the stacks (the change must not
/// touch the checkout). Costs: one n8n stack start (about 1-3 min here) and one database restart.
#[test]
fn restart_applies_a_changed_compose_file_and_keeps_the_volumes() {
    let copy = StackCopy::new();
    // Declared after the copy: dropped (cleaned) while the copy's compose files still exist.
    let rig = Throwaway::in_root("aiwah-restart", env!("CARGO_BIN_EXE_xtask"), copy.root());
    rig.ok(&["up", "n8n", "--timeout", "900"]);
    psql(&rig, "create table kept (v text); insert into kept values ('written before the restart')");
    // The volumes by name, each with a marker written before (the database's is the row above). The
    // engine's CreatedAt cannot tell: the local driver reports the data folder's modification time.
    let volumes = || {
        let mut names = rig.labelled(docker::Kind::Volume);
        names.sort();
        names
    };
    let volumes_before = volumes();
    assert_eq!(volumes_before.len(), 2, "control: the n8n stack has two volumes: {volumes_before:?}");
    let marker = |verb: &str| docker::docker(&["exec", &rig.container("n8n", "n8n"), "sh", "-c", verb]).map(|o| o.trim().to_string());
    marker("echo kept > /home/node/.n8n/aiwah-restart-marker").unwrap();
    let (db, n8n) = (rig.container("n8n", "postgres"), rig.container("n8n", "n8n"));
    let id = |c: &str| docker::docker(&["inspect", "--format", "{{.Id}}", c]).unwrap().trim().to_string();
    let (db_id, n8n_id) = (id(&db), id(&n8n));
    let env_of = |c: &str| docker::docker(&["inspect", "--format", "{{range .Config.Env}}{{println .}}{{end}}", c]).unwrap();
    assert!(!env_of(&db).contains("AIWAH_RESTART_PROBE="), "control: the variable is new");

    // The operator edits the compose file: a variable on the database service.
    copy.mutate(
        "stacks/n8n/compose.yml",
        "      PGDATA: /var/lib/postgresql/data\n",
        "      PGDATA: /var/lib/postgresql/data\n      AIWAH_RESTART_PROBE: applied\n",
    );
    let out = rig.run(&["restart", "n8n", "--timeout", "900"]);
    let said = output_text(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.lines().any(|l| l.contains("recreated n8n/postgres") && !l.contains("n8n/n8n")), "says which service it recreated: {said}");

    let db_after = rig.container("n8n", "postgres");
    assert_ne!(id(&db_after), db_id, "the changed service runs in a new container");
    assert!(env_of(&db_after).lines().any(|l| l == "AIWAH_RESTART_PROBE=applied"), "the new container runs the new configuration");
    assert_eq!(id(&rig.container("n8n", "n8n")), n8n_id, "the unchanged service keeps its container (restarted, not recreated)");
    assert_eq!(psql(&rig, "select v from kept").trim(), "written before the restart");
    assert_eq!(volumes(), volumes_before, "the same volumes");
    assert_eq!(marker("cat /home/node/.n8n/aiwah-restart-marker").unwrap(), "kept", "the n8n volume's marker is still there");

    // Nothing changed since: a second restart recreates nothing.
    let out = rig.run(&["restart", "n8n", "--timeout", "900"]);
    let said = output_text(&out);
    assert!(out.status.success() && said.contains("no service's compose configuration had changed"), "{said}");
    assert_eq!(id(&rig.container("n8n", "postgres")), id(&db_after));
}
