//! One throwaway container of the `supabase-postgres` offline image, started the way the compose `db`
//! service starts it: the same files of stacks/supabase/volumes/db mounted at the same init paths, the same
//! environment and command. Removed (with its data volume) when dropped.
// Shared by several test binaries; each uses part of it.
#![allow(dead_code)]

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aiwah_harness::engine::{docker, plan};

/// The compose file's mounts: file under stacks/supabase/volumes/db → path in the image.
const COMPOSE_MOUNTS: [(&str, &str); 7] = [
    ("realtime.sql", "migrations/99-realtime.sql"),
    ("webhooks.sql", "init-scripts/98-webhooks.sql"),
    ("roles.sql", "init-scripts/99-roles.sql"),
    ("jwt.sql", "init-scripts/99-jwt.sql"),
    ("_supabase.sql", "migrations/97-_supabase.sql"),
    ("logs.sql", "migrations/99-logs.sql"),
    ("pooler.sql", "migrations/99-pooler.sql"),
];

pub const JWT_EXP: &str = "3600";

pub struct SubstituteDb {
    pub container: String,
    pub image: String,
    pub password: String,
}

impl SubstituteDb {
    /// Start a fresh copy and wait (up to `deadline`) until init has finished and the real server answers.
    pub fn start(root: &Path, deadline: Duration) -> SubstituteDb {
        let image = plan::offline_tag(root, "supabase-postgres").unwrap();
        assert!(docker::image_present(&image).unwrap(), "image {image} is missing: run cargo xtask images build --offline");
        let password = aiwah_harness::secrets::random::from_alphabet(b"abcdefghijklmnopqrstuvwxyz0123456789", 24);
        let volumes = root.join("stacks/supabase/volumes/db");
        let mut args: Vec<String> = ["run", "--detach", "--label", "aiwah.test=db-end-state"].map(String::from).to_vec();
        for (file, target) in COMPOSE_MOUNTS {
            args.push("--volume".into());
            args.push(format!("{}:/docker-entrypoint-initdb.d/{target}:ro", volumes.join(file).display()));
        }
        for (key, value) in [
            ("POSTGRES_HOST", "/var/run/postgresql"),
            ("PGPORT", "5432"),
            ("POSTGRES_PORT", "5432"),
            ("PGPASSWORD", &password),
            ("POSTGRES_PASSWORD", &password),
            ("PGDATABASE", "postgres"),
            ("POSTGRES_DB", "postgres"),
            ("JWT_EXP", JWT_EXP),
        ] {
            args.push("--env".into());
            args.push(format!("{key}={value}"));
        }
        args.extend([image.clone(), "postgres".into(), "-c".into(), "config_file=/etc/postgresql/postgresql.conf".into()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let container = docker::docker(&args).unwrap().trim().to_string();
        let db = SubstituteDb { container, image, password };
        db.wait_ready(deadline);
        db
    }

    fn wait_ready(&self, deadline: Duration) {
        let started = Instant::now();
        loop {
            let logs = self.logs();
            if logs.contains("PostgreSQL init process complete") && self.exec(&["pg_isready", "-U", "postgres", "-h", "localhost"]).is_ok() {
                return;
            }
            let running = docker::docker(&["inspect", "--format", "{{.State.Running}}", &self.container]).unwrap_or_default();
            assert!(running.trim() == "true", "the substitute db container stopped during init; its log ends:\n{}", tail(&logs, 40));
            assert!(
                started.elapsed() < deadline,
                "the substitute db did not finish init and answer pg_isready within {deadline:?}; its log ends:\n{}",
                tail(&logs, 40)
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// Everything the container wrote to stdout and stderr.
    pub fn logs(&self) -> String {
        let out = Command::new("docker").args(["logs", &self.container]).output().expect("docker logs");
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    }

    /// `docker exec` as OS user postgres; stdout, or the error output.
    pub fn exec(&self, command: &[&str]) -> Result<String, String> {
        let mut args = vec!["exec", "-u", "postgres", self.container.as_str()];
        args.extend_from_slice(command);
        docker::docker(&args).map_err(|p| p.to_string())
    }

    /// Write `content` to `path` inside the container, as root.
    pub fn write_file(&self, path: &str, content: &str) {
        let mut child = Command::new("docker")
            .args(["exec", "-i", &self.container, "sh", "-c", &format!("cat > '{path}'")])
            .stdin(Stdio::piped())
            .spawn()
            .expect("docker exec");
        child.stdin.take().unwrap().write_all(content.as_bytes()).unwrap();
        assert!(child.wait().unwrap().success(), "writing {path} in the container");
    }

    /// Feed `script` to psql as `role` over the Unix socket (supabase_admin: password from the
    /// container's PGPASSWORD, as upstream's hba wants; postgres: peer). `-f -` makes psql name the script line
    /// of each error. Returns (stdout, stderr, success).
    pub fn psql(&self, role: &str, script: &str) -> (String, String, bool) {
        let mut child = Command::new("docker")
            .args(["exec", "-i", "-u", "postgres", &self.container, "psql", "-X", "-q", "-At", "-U", role, "-d", "postgres", "-f", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("docker exec psql");
        child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned(), out.status.success())
    }

    /// psql from a second container over TCP (so the server asks for a password: scram-sha-256).
    pub fn psql_over_network(&self, role: &str, password: &str, sql: &str) -> Result<String, String> {
        let ip = docker::container_ips(&self.container).unwrap().into_iter().next().expect("container has an address");
        let pass = format!("PGPASSWORD={password}");
        docker::docker(&[
            "run",
            "--rm",
            "--env",
            &pass,
            "--entrypoint",
            "psql",
            &self.image,
            "-X",
            "-q",
            "-At",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            &ip,
            "-U",
            role,
            "-d",
            "postgres",
            "-c",
            sql,
        ])
        .map_err(|p| p.to_string())
    }
}

impl Drop for SubstituteDb {
    fn drop(&mut self) {
        let _ = docker::docker(&["rm", "--force", "--volumes", &self.container]);
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
