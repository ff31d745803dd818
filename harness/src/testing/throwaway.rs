//! A throwaway persistent deployment for live tests of `cargo xtask`: its own `AIWAH_DEPLOYMENT`
//! name, env file, shared network and loopback ports, so it never meets a developer's deployment or
//! another test's; whatever happens, dropping it removes its containers, networks, volumes and work
//! folder (`clean --volumes --yes`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::engine::docker::{self, Kind};
use crate::engine::overrides::labels;
use crate::secrets::random;

/// Host ports of the deployment's published services (free when it was made).
#[derive(Debug, Clone, Copy)]
pub struct Ports {
    pub kong_http: u16,
    pub kong_https: u16,
    pub n8n: u16,
    pub ui: u16,
}

pub struct Throwaway {
    /// Its `AIWAH_DEPLOYMENT`: `<prefix>-<6 hex digits>`.
    pub name: String,
    pub ports: Ports,
    /// The checkout `xtask` runs in (its work folder is under `target/` there).
    pub root: PathBuf,
    xtask: PathBuf,
    /// Holds the env file (and whatever else a test puts next to it).
    dir: PathBuf,
    /// `AIWAH_IMAGE_SOURCE` for every command; `None` leaves it unset.
    image_source: Option<String>,
    /// More variables for every command (its clean-up included).
    extra_env: Vec<(String, String)>,
}

impl Throwaway {
    /// A deployment named `<prefix>-<random>`, run by the `xtask` binary (`env!("CARGO_BIN_EXE_xtask")`)
    /// in the checkout the test runs in — not the one the harness was compiled in: a target folder
    /// seeded from another checkout carries that one's path. Images: offline.
    pub fn new(prefix: &str, xtask: &str) -> Throwaway {
        let root = crate::repo::find_root(&std::env::current_dir().expect("current dir")).expect("tests run inside a checkout");
        Throwaway::in_root(prefix, xtask, &root)
    }

    /// [`Throwaway::new`] over another checkout (a [`super::StackCopy`]'s root).
    pub fn in_root(prefix: &str, xtask: &str, root: &Path) -> Throwaway {
        let name = format!("{prefix}-{}", random::from_alphabet(b"0123456789abcdef", 6));
        let dir = std::env::temp_dir().join(format!("{name}-env"));
        std::fs::create_dir_all(&dir).expect("create the env folder");
        let ports = Ports { kong_http: free_port(), kong_https: free_port(), n8n: free_port(), ui: free_port() };
        Throwaway { name, ports, root: root.to_path_buf(), xtask: PathBuf::from(xtask), dir, image_source: Some("offline".into()), extra_env: Vec::new() }
    }

    /// Every command without `AIWAH_IMAGE_SOURCE` (the default source: a registry, a mirror).
    pub fn without_image_source(mut self) -> Throwaway {
        self.image_source = None;
        self
    }

    /// `key=value` for every command, the clean-up at the end included.
    pub fn with_env(mut self, key: &str, value: &str) -> Throwaway {
        self.extra_env.push((key.to_string(), value.to_string()));
        self
    }

    /// The folder the env file is in (private to this deployment; removed with it).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn env_file(&self) -> PathBuf {
        self.dir.join(".env")
    }

    /// The shell the deployment is run from: its name, env file, network and ports.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AIWAH_DEPLOYMENT", self.name.clone()),
            ("AIWAH_ENV_FILE", self.env_file().display().to_string()),
            ("AIWAH_SHARED_NETWORK", format!("{}-shared", self.name)),
            ("KONG_HTTP_PORT", self.ports.kong_http.to_string()),
            ("KONG_HTTPS_PORT", self.ports.kong_https.to_string()),
            ("N8N_PORT", self.ports.n8n.to_string()),
            ("UI_PORT", self.ports.ui.to_string()),
        ]
    }

    /// `xtask args...` in the deployment's shell (stdin closed: nothing asks); add to it, then run.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.xtask);
        cmd.args(args).current_dir(&self.root).envs(self.env()).stdin(Stdio::null());
        match &self.image_source {
            Some(source) => cmd.env("AIWAH_IMAGE_SOURCE", source),
            None => cmd.env_remove("AIWAH_IMAGE_SOURCE"),
        };
        cmd.envs(self.extra_env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run xtask")
    }

    /// Stdout of a command that must succeed; a failure shows both streams.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "xtask {args:?} failed:\n{}", output_text(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Where `up` writes the deployment's overrides and record.
    pub fn workdir(&self) -> PathBuf {
        self.root.join("target").join(format!("{}-deployment", self.name))
    }

    /// This deployment's resources of `kind`, found by its label.
    pub fn labelled(&self, kind: Kind) -> Vec<String> {
        docker::list(kind, &format!("{}={}", labels::DEPLOYMENT, self.name)).expect("list labelled resources")
    }

    /// The container of `stack`'s `service` (a name `<deployment>-<stack>-<service>-<n>`).
    pub fn container(&self, stack: &str, service: &str) -> String {
        let all = self.labelled(Kind::Container);
        let prefix = format!("{}-{stack}-{service}-", self.name);
        all.iter().find(|c| c.starts_with(&prefix)).unwrap_or_else(|| panic!("no container {prefix}N among {all:?}")).clone()
    }
}

impl Drop for Throwaway {
    fn drop(&mut self) {
        // Whatever happened, leave nothing behind.
        let _ = self.run(&["clean", "--volumes", "--yes"]);
        let _ = std::fs::remove_dir_all(self.workdir());
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Both streams of a command, for failure messages.
pub fn output_text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free loopback port")
}
