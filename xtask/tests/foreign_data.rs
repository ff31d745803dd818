//! A missing `.env` over a deployment's existing data: `up` must refuse before writing new secrets
//! (they could not open that data — the databases keep the passwords they were initialised with),
//! and `clean --volumes` must still be able to delete the data without an `.env`. Real engine, real
//! binary; nothing is started (a labelled volume stands for the data), so it costs about a second.

use std::path::Path;
use std::process::{Command, Output};

use aiwah_harness::engine::docker::{self, Kind};
use aiwah_harness::engine::overrides::labels;

/// A persistent-deployment name of this test's own, and its data volume; removed on drop.
struct Deployment {
    name: String,
    volume: String,
}

impl Deployment {
    fn with_data() -> Deployment {
        let tag = aiwah_harness::secrets::random::from_alphabet(b"0123456789abcdef", 6);
        let name = format!("aiwah-foreign-{tag}");
        let volume = format!("{name}-supabase_db-data");
        let created = Command::new("docker")
            .args(["volume", "create", "--label", &format!("{}={name}", labels::DEPLOYMENT), "--label", &format!("{}=false", labels::EPHEMERAL), &volume])
            .output()
            .unwrap();
        assert!(created.status.success(), "docker volume create: {}", String::from_utf8_lossy(&created.stderr));
        Deployment { name, volume }
    }

    fn xtask(&self, env_file: &Path, extra: &[(&str, &Path)], args: &[&str]) -> Output {
        let root = aiwah_harness::repo::find_root(&std::env::current_dir().unwrap()).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
        cmd.args(args)
            .current_dir(root)
            .env("AIWAH_DEPLOYMENT", &self.name)
            .env("AIWAH_ENV_FILE", env_file)
            .env("AIWAH_SHARED_NETWORK", format!("{}-shared", self.name));
        for (key, value) in extra {
            cmd.env(key, value);
        }
        cmd.stdin(std::process::Stdio::null()).output().unwrap()
    }

    fn volume_exists(&self) -> bool {
        docker::list(Kind::Volume, &format!("{}={}", labels::DEPLOYMENT, self.name)).unwrap().contains(&self.volume)
    }
}

impl Drop for Deployment {
    /// Everything labelled with the name: a broken guard lets `up` start a whole deployment.
    fn drop(&mut self) {
        let label = format!("{}={}", labels::DEPLOYMENT, self.name);
        for kind in [Kind::Container, Kind::Network, Kind::Volume] {
            let _ = docker::remove(kind, &docker::list(kind, &label).unwrap_or_default());
        }
        // `up`'s work folder for this deployment (its overrides and record).
        if let Ok(root) = aiwah_harness::repo::find_root(&std::env::current_dir().unwrap_or_default()) {
            let _ = std::fs::remove_dir_all(root.join("target").join(format!("{}-deployment", self.name)));
        }
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn up_refuses_new_secrets_over_existing_data_and_clean_deletes_it_without_env() {
    docker::engine_version().expect("a Docker engine (bash stacks/offline/engine.sh)");
    let deployment = Deployment::with_data();
    let dir = tempfile::tempdir().unwrap();
    let env = dir.path().join(".env");

    let out = deployment.xtask(&env, &[], &["up", "--no-pull"]);
    let text = stderr(&out);
    assert!(!out.status.success(), "up must refuse:\n{text}");
    let error: Vec<&str> = text.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(error.len(), 1, "one clear line:\n{text}");
    assert!(error[0].contains(&env.display().to_string()) && error[0].contains(&deployment.volume), "names the file and the data:\n{text}");
    assert!(text.contains("clean --volumes"), "names the remedy:\n{text}");
    assert!(!env.exists(), "no new secrets were written");
    assert!(docker::list(Kind::Container, &format!("{}={}", labels::DEPLOYMENT, deployment.name)).unwrap().is_empty(), "nothing started");

    // `clean` without --volumes keeps the data; with it (and --yes) deletes it, though no .env exists.
    let kept = deployment.xtask(&env, &[], &["clean", "--yes"]);
    assert!(kept.status.success(), "clean: {}", stderr(&kept));
    assert!(deployment.volume_exists(), "clean without --volumes keeps data");
    let refused = deployment.xtask(&env, &[], &["clean", "--volumes"]);
    assert!(!refused.status.success() && deployment.volume_exists(), "clean --volumes asks first: {}", stderr(&refused));
    let cleaned = deployment.xtask(&env, &[], &["clean", "--volumes", "--yes"]);
    assert!(cleaned.status.success(), "clean --volumes --yes: {}", stderr(&cleaned));
    assert!(!deployment.volume_exists(), "the data is deleted");

    // Positive control: with no data left the guard lets `up` write secrets; it then stops at the
    // next check (an image the engine lacks, refused by --no-pull), not at the guard.
    let overrides = dir.path().join("overrides.toml");
    std::fs::write(&overrides, "[images]\nn8n = \"aiwah-test/absent-image:0\"\n").unwrap();
    let out = deployment.xtask(&env, &[("AIWAH_IMAGE_OVERRIDES", &overrides)], &["up", "n8n", "--no-pull"]);
    let text = stderr(&out);
    assert!(!out.status.success() && text.contains("aiwah-test/absent-image:0"), "stops at the missing image:\n{text}");
    assert!(!text.contains("new secrets cannot open it"), "the guard is quiet without data:\n{text}");
    assert!(env.exists(), "secrets written once no data needs other ones");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A `.env` whose database password is not the one the data was made with (an edited or rotated
/// `POSTGRES_PASSWORD`): the database starts, `up`'s migrations are refused, `up` names the cause
/// and stops what it started. Costs two starts of the Supabase stack (offline images), ~1–2 min.
#[test]
fn a_database_refusing_the_env_password_is_explained_and_up_stops_what_it_started() {
    docker::engine_version().expect("a Docker engine (bash stacks/offline/engine.sh)");
    let tag = aiwah_harness::secrets::random::from_alphabet(b"0123456789abcdef", 6);
    let deployment = Deployment { name: format!("aiwah-foreign-{tag}"), volume: String::new() };
    let dir = tempfile::tempdir().unwrap();
    let env = dir.path().join(".env");
    let (http, https) = (free_port().to_string(), free_port().to_string());
    let up = |extra: &[(&str, &Path)]| {
        let mut all: Vec<(&str, &Path)> =
            vec![("AIWAH_IMAGE_SOURCE", Path::new("offline")), ("KONG_HTTP_PORT", Path::new(&http)), ("KONG_HTTPS_PORT", Path::new(&https))];
        all.extend_from_slice(extra);
        deployment.xtask(&env, &all, &["up", "supabase"])
    };
    let running = || docker::list(Kind::Container, &format!("{}={}", labels::DEPLOYMENT, deployment.name)).unwrap();

    let first = up(&[]);
    assert!(first.status.success(), "first up: {}", stderr(&first));
    let down = deployment.xtask(&env, &[], &["down"]);
    assert!(down.status.success(), "down: {}", stderr(&down));

    // Another password in .env than the one the database was initialised with.
    let text = std::fs::read_to_string(&env).unwrap();
    let line = text.lines().find(|l| l.starts_with("POSTGRES_PASSWORD=")).expect("POSTGRES_PASSWORD in .env").to_string();
    std::fs::write(&env, text.replace(&line, "POSTGRES_PASSWORD=another-password-than-the-data-was-made-with-0123456789")).unwrap();
    let second = up(&[]);
    let text = stderr(&second);
    assert!(!second.status.success(), "up must fail:\n{text}");
    assert!(text.contains("password authentication failed") && text.contains("initialised with another POSTGRES_PASSWORD"), "names the cause:\n{text}");
    assert!(text.contains("stopping supabase again"), "stops what it started:\n{text}");
    assert!(running().is_empty(), "nothing left running: {:?}", running());
    assert!(!deploy_volumes(&deployment.name).is_empty(), "the data is kept");
}

fn deploy_volumes(name: &str) -> Vec<String> {
    docker::list(Kind::Volume, &format!("{}={name}", labels::DEPLOYMENT)).unwrap()
}
