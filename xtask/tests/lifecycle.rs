//! The persistent lifecycle end to end with the real binary and the real engine (offline images):
//! up, status, logs, restart, down, up again with the data still there, clean. Runs under its own
//! deployment name, env file, network and port so it never touches a developer's deployment.

use std::process::{Command, Output};

use aiwah_harness::engine::docker;
use aiwah_harness::engine::overrides::labels;

struct Lifecycle {
    name: String,
    dir: tempfile::TempDir,
    port: u16,
    /// The checkout the xtask binary runs in (its work folders are under `target/` there).
    root: std::path::PathBuf,
}

impl Lifecycle {
    fn new() -> Lifecycle {
        let tag = aiwah_harness::secrets::random::from_alphabet(b"0123456789abcdef", 6);
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        // The checkout this test runs in, not the one the harness crate was compiled in: a target
        // folder seeded from another checkout carries that one's path (its leftovers went there).
        let root = aiwah_harness::repo::find_root(&std::env::current_dir().unwrap()).unwrap();
        Lifecycle { name: format!("aiwah-life-{tag}"), dir: tempfile::tempdir().unwrap(), port, root }
    }

    fn xtask(&self, args: &[&str]) -> Output {
        self.xtask_from(args, "offline")
    }

    /// With `AIWAH_IMAGE_SOURCE=source`: a command that resolved the plan again would decide other tiers.
    fn xtask_from(&self, args: &[&str], source: &str) -> Output {
        Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(args)
            .current_dir(&self.root)
            .env("AIWAH_DEPLOYMENT", &self.name)
            .env("AIWAH_ENV_FILE", self.dir.path().join(".env"))
            .env("AIWAH_SHARED_NETWORK", format!("{}-shared", self.name))
            .env("AIWAH_IMAGE_SOURCE", source)
            .env("N8N_PORT", self.port.to_string())
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        self.ok_from(args, "offline")
    }

    fn ok_from(&self, args: &[&str], source: &str) -> String {
        let out = self.xtask_from(args, source);
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "xtask {args:?} failed:\n{text}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Where `up` writes the deployment's overrides and record.
    fn workdir(&self) -> std::path::PathBuf {
        self.root.join("target").join(format!("{}-deployment", self.name))
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
        docker::list(kind, &format!("{}={}", labels::DEPLOYMENT, self.name)).unwrap()
    }

    fn psql(&self, sql: &str) -> String {
        let container = docker::list(docker::Kind::Container, &format!("{}={}", labels::DEPLOYMENT, self.name))
            .unwrap()
            .into_iter()
            .find(|c| c.contains("-postgres-"))
            .expect("the n8n database container");
        docker::docker(&["exec", &container, "psql", "-v", "ON_ERROR_STOP=1", "-tA", "-U", "n8n_admin", "-d", "n8n", "-c", sql]).unwrap()
    }
}

impl Drop for Lifecycle {
    fn drop(&mut self) {
        // Whatever happened, leave nothing behind.
        let _ = self.xtask(&["clean", "--volumes", "--yes"]);
        let _ = std::fs::remove_dir_all(self.workdir());
    }
}

#[test]
fn up_status_logs_restart_down_up_keeps_data_then_clean_removes_everything() {
    let life = Lifecycle::new();

    let up = life.ok(&["up", "n8n"]);
    assert!(up.contains(&format!("http://127.0.0.1:{}", life.port)), "{up}");
    assert!(life.dir.path().join(".env").is_file(), "up writes the env file when it is missing");

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
