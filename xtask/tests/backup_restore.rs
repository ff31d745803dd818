//! Backup and restore for real (real binary, engine, offline images) under a throwaway persistent
//! deployment (own name, env file, network, ports; removed whatever happens): up → users, todos, a role,
//! a Storage file, two n8n workflows (one calls the other with a credential) and their executions →
//! backup → `clean --volumes` → up → bad inputs, each refused in one line with nothing restored →
//! restore → the same rows, the workflow runs, its credential decrypts. The "full target" is a Storage
//! volume on a 2 MB tmpfs (pre-created under compose's name for it) and a backup holding 3 MB there.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use aiwah_harness::testing::Throwaway;
use serde_json::{Value, json};

/// In n8n's credential (encrypted); the probe workflow sends it as a header to the echo workflow, which answers it.
const PROBE_SECRET: &str = "probe-4f1d9a7c2b";
/// .env keys whose values must never be in a backup made without --include-secrets.
const SECRET_KEYS: &[&str] = &[
    "N8N_ENCRYPTION_KEY",
    "JWT_SECRET",
    "POSTGRES_PASSWORD",
    "N8N_POSTGRES_PASSWORD",
    "N8N_DB_PASSWORD",
    "N8N_OWNER_PASSWORD",
    "SERVICE_ROLE_KEY",
    "SECRET_KEY_BASE",
];

/// The shared throwaway deployment, with what this test looks at.
struct Rig {
    deployment: Throwaway,
    name: String,
    n8n_port: u16,
}

impl Rig {
    fn new() -> Rig {
        let deployment = Throwaway::new("aiwah-bk", env!("CARGO_BIN_EXE_xtask"));
        Rig { name: deployment.name.clone(), n8n_port: deployment.ports.n8n, deployment }
    }

    fn env_file(&self) -> PathBuf {
        self.deployment.env_file()
    }

    fn xtask_with_env(&self, args: &[&str], env_file: &Path) -> Output {
        self.deployment.command(args).env("AIWAH_ENV_FILE", env_file).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.xtask_with_env(args, &self.env_file());
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "xtask {args:?} failed:\n{text}");
        text
    }

    /// A refused command: non-zero, and exactly one `error:` line, which is returned.
    fn refused(&self, args: &[&str], env_file: &Path) -> String {
        let out = self.xtask_with_env(args, env_file);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!out.status.success(), "xtask {args:?} should have failed:\n{stderr}");
        let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error: ")).collect();
        assert_eq!(errors.len(), 1, "one clear line expected:\n{stderr}");
        errors[0].to_string()
    }

    fn env(&self, key: &str) -> String {
        let text = std::fs::read_to_string(self.env_file()).unwrap();
        text.lines().find_map(|l| l.strip_prefix(&format!("{key}="))).unwrap_or_else(|| panic!("{key} not in .env")).trim_matches('"').to_string()
    }

    fn container(&self, service: &str) -> String {
        let out = docker(&["ps", "--filter", &format!("label=io.aiwah.deployment={}", self.name), "--format", "{{.Names}}"]);
        out.lines().find(|n| n.contains(&format!("-{service}-"))).unwrap_or_else(|| panic!("no container {service} in {out}")).to_string()
    }

    fn supabase(&self, sql: &str) -> String {
        docker(&["exec", &self.container("supabase-db"), "psql", "-X", "-v", "ON_ERROR_STOP=1", "-tA", "-U", "supabase_admin", "-d", "postgres", "-c", sql])
    }

    fn n8n_db(&self, sql: &str) -> String {
        docker(&["exec", &self.container("n8n-postgres"), "psql", "-X", "-v", "ON_ERROR_STOP=1", "-tA", "-U", "n8n_admin", "-d", "postgres", "-c", sql])
    }

    fn n8n(&self, sql: &str) -> String {
        docker(&["exec", &self.container("n8n-postgres"), "psql", "-X", "-v", "ON_ERROR_STOP=1", "-tA", "-U", "n8n_admin", "-d", "n8n", "-c", sql])
    }

    fn storage_volume(&self) -> String {
        format!("{}-supabase_storage-data", self.name)
    }

    /// `up` of both stacks (with a 2 MB tmpfs Storage volume if `tmpfs`). On a loaded machine the
    /// database's first init can outlast its healthcheck: then everything is removed and tried once more.
    fn up(&self, tmpfs: bool) {
        for attempt in 0..2 {
            if tmpfs {
                let labels = [format!("com.docker.compose.project={}-supabase", self.name), "com.docker.compose.volume=storage-data".into()];
                let opts = ["--opt", "type=tmpfs", "--opt", "device=tmpfs", "--opt", "o=size=2m", "--label", &labels[0], "--label", &labels[1]];
                docker(&[&["volume", "create"][..], &opts, &[&self.storage_volume()]].concat());
            }
            let out = self.xtask_with_env(&["up", "supabase", "n8n", "--timeout", "900"], &self.env_file());
            if out.status.success() {
                return;
            }
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(attempt == 0, "up failed twice:\n{err}");
            eprintln!("up failed once (retrying from scratch): {}", err.lines().filter(|l| l.starts_with("error:")).collect::<Vec<_>>().join(" | "));
            self.ok(&["clean", "--volumes", "--yes"]);
            let _ = Command::new("docker").args(["volume", "rm", "-f", &self.storage_volume()]).output();
        }
    }

    /// A shell command in a throwaway container with the Storage volume at /data.
    fn in_storage(&self, script: &str) -> String {
        let image = docker(&["inspect", "--format", "{{.Config.Image}}", &self.container("supabase-db")]).trim().to_string();
        docker(&[
            "run",
            "--rm",
            "--pull",
            "never",
            "--network",
            "none",
            "--entrypoint",
            "sh",
            "-v",
            &format!("{}:/data", self.storage_volume()),
            &image,
            "-c",
            script,
        ])
    }

    /// Everything the round trip must bring back, as query results.
    fn snapshot(&self) -> Vec<String> {
        vec![
            self.supabase("select id || ' ' || email from auth.users order by id"),
            self.supabase("select id || ' ' || user_id || ' ' || title || ' ' || done from public.todos order by id"),
            self.supabase("select last_value from public.todos_id_seq"),
            self.supabase("select rolname from pg_roles where rolname = 'backup_reader'"),
            self.n8n("select id || ' ' || name || ' ' || active from workflow_entity order by id"),
            self.n8n("select id || ' ' || name || ' ' || type from credentials_entity order by id"),
            self.n8n("select count(*) from execution_entity where status = 'success'"),
            self.in_storage("cd /data && find . -type f | sort | xargs sha256sum"),
        ]
    }

    /// Nothing of the backup is in the target and nothing was left staged.
    fn assert_untouched(&self, case: &str) {
        assert_eq!(self.supabase("select count(*) from auth.users").trim(), "0", "{case}: auth.users");
        assert_eq!(self.supabase("select count(*) from public.todos").trim(), "0", "{case}: todos");
        assert_eq!(self.n8n("select count(*) from workflow_entity").trim(), "0", "{case}: n8n workflows");
        assert_eq!(self.n8n_db("select count(*) from pg_database where datname like 'aiwah_restore%'").trim(), "0", "{case}: staging database left");
        assert_eq!(self.in_storage("find /data -mindepth 1 | wc -l").trim(), "0", "{case}: storage volume");
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        // Containers first (the volume is in use until then); the rig's own clean-up follows.
        let _ = self.deployment.run(&["clean", "--volumes", "--yes"]);
        let _ = Command::new("docker").args(["volume", "rm", "-f", &self.storage_volume()]).output();
    }
}

fn docker(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().unwrap();
    assert!(out.status.success(), "docker {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// n8n's REST and public API, as the suite's client drives them (harness/suite/src/clients/n8n.rs).
struct N8n {
    base: String,
    http: reqwest::blocking::Client,
}

impl N8n {
    fn post(&self, path: &str, key: Option<&str>, body: &Value) -> (u16, Value) {
        let mut req = self.http.post(format!("{}{path}", self.base)).json(body);
        if let Some(key) = key {
            req = req.header("X-N8N-API-KEY", key);
        }
        let resp = req.send().unwrap();
        let status = resp.status().as_u16();
        (status, serde_json::from_str(&resp.text().unwrap()).unwrap_or(Value::Null))
    }

    /// Log in as the owner and make an API key.
    fn api_key(&self, email: &str, password: &str) -> String {
        let resp = self.http.post(format!("{}/rest/login", self.base)).json(&json!({"emailOrLdapLoginId": email, "password": password})).send().unwrap();
        assert_eq!(resp.status().as_u16(), 200, "n8n login");
        let cookie = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok()?.split(';').next())
            .find(|c| c.starts_with("n8n-auth="))
            .unwrap()
            .to_string();
        let scopes = ["workflow:create", "workflow:read", "workflow:activate", "execution:read", "execution:list", "credential:create"];
        let reply: Value = self
            .http
            .post(format!("{}/rest/api-keys", self.base))
            .header("cookie", cookie)
            .json(&json!({"label": "backup test", "scopes": scopes, "expiresAt": null}))
            .send()
            .unwrap()
            .json()
            .unwrap();
        reply["data"]["rawApiKey"].as_str().unwrap().to_string()
    }

    fn publish(&self, key: &str, workflow: Value) {
        let (status, reply) = self.post("/api/v1/workflows", Some(key), &workflow);
        assert_eq!(status, 200, "{reply}");
        let id = reply["id"].as_str().unwrap();
        assert_eq!(self.post(&format!("/api/v1/workflows/{id}/publish"), Some(key), &json!({})).0, 200);
    }

    /// The probe workflow's answer, waiting while its webhook is not registered yet.
    fn probe(&self) -> Value {
        let start = Instant::now();
        loop {
            let (status, reply) = self.post("/webhook/backup-probe", None, &json!({}));
            if status != 404 || start.elapsed() > Duration::from_secs(120) {
                assert_eq!(status, 200, "probe workflow: {reply}");
                return reply;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

fn webhook(path: &str, id: &str) -> Value {
    json!({"id": format!("{path}-hook"), "name": "Webhook", "type": "n8n-nodes-base.webhook", "typeVersion": 2, "position": [0, 0], "webhookId": id,
           "parameters": {"httpMethod": "POST", "path": path, "responseMode": "lastNode", "options": {}}})
}

fn workflows() -> (Value, Value) {
    let echo = json!({"name": "backup echo", "settings": {"executionOrder": "v1"},
        "nodes": [webhook("backup-echo", "b1d0c0de-0000-4000-8000-00000000e001"),
                  {"id": "echo", "name": "Echo", "type": "n8n-nodes-base.set", "typeVersion": 3.4, "position": [220, 0],
                   "parameters": {"mode": "raw", "jsonOutput": "={ \"probe\": {{ JSON.stringify($json.headers['x-backup-probe'] ?? null) }} }", "options": {}}}],
        "connections": {"Webhook": {"main": [[{"node": "Echo", "type": "main", "index": 0}]]}}});
    let probe = json!({"name": "backup probe", "settings": {"executionOrder": "v1"},
        "nodes": [webhook("backup-probe", "b1d0c0de-0000-4000-8000-00000000e002"),
                  {"id": "call", "name": "Call echo", "type": "n8n-nodes-base.httpRequest", "typeVersion": 4.2, "position": [220, 0],
                   "credentials": {"httpCustomAuth": {"id": "backupprobe", "name": "Backup probe"}},
                   "parameters": {"method": "POST", "url": "http://127.0.0.1:5678/webhook/backup-echo", "authentication": "genericCredentialType",
                                  "genericAuthType": "httpCustomAuth", "options": {}}}],
        "connections": {"Webhook": {"main": [[{"node": "Call echo", "type": "main", "index": 0}]]}}});
    (echo, probe)
}

/// Every file of a backup folder with its bytes.
fn backup_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()) {
        if entry.is_dir() { out.extend(backup_files(&entry)) } else { out.push((entry.clone(), std::fs::read(&entry).unwrap())) }
    }
    out
}

fn copy_backup(from: &Path, to: &Path) {
    assert!(Command::new("cp").args(["-a", &from.display().to_string(), &to.display().to_string()]).status().unwrap().success());
}

#[test]
fn backup_then_clean_then_restore_brings_back_rows_workflows_credentials_and_files() {
    let rig = Rig::new();
    let work = tempfile::tempdir().unwrap();
    rig.up(false);

    // Supabase: users (GoTrue does not run here: SQL), their todos, a role of the operator's own, a file.
    rig.supabase(
        "insert into auth.users (id, email, aud, role) values ('00000000-0000-4000-8000-0000000000a1', 'ada@example.test', 'authenticated', 'authenticated'), \
         ('00000000-0000-4000-8000-0000000000b2', 'bob@example.test', 'authenticated', 'authenticated'); \
         insert into public.todos (user_id, title) values ('00000000-0000-4000-8000-0000000000a1', 'write the backup'), \
         ('00000000-0000-4000-8000-0000000000a1', 'test the restore'), ('00000000-0000-4000-8000-0000000000b2', 'read the manifest'); \
         create role backup_reader nologin; grant authenticated to backup_reader",
    );
    rig.in_storage("mkdir -p /data/stub/stub/avatars && head -c 200000 /dev/urandom > /data/stub/stub/avatars/ada.png");

    // n8n: a credential, a workflow that uses it, and an execution of each workflow.
    let n8n = N8n { base: format!("http://127.0.0.1:{}", rig.n8n_port), http: reqwest::blocking::Client::new() };
    let key = n8n.api_key(&rig.env("N8N_OWNER_EMAIL"), &rig.env("N8N_OWNER_PASSWORD"));
    let credential = json!({"id": "backupprobe", "name": "Backup probe", "type": "httpCustomAuth",
        "data": {"json": json!({"headers": {"X-Backup-Probe": PROBE_SECRET}}).to_string(), "allowedHttpRequestDomains": "domains", "allowedDomains": "127.0.0.1"}});
    assert_eq!(n8n.post("/api/v1/credentials", Some(&key), &credential).0, 200);
    let (echo, probe) = workflows();
    n8n.publish(&key, echo);
    n8n.publish(&key, probe);
    assert_eq!(n8n.probe(), json!({"probe": PROBE_SECRET}), "before the backup");
    let before = rig.snapshot();
    assert_eq!(before[6].trim(), "2", "one execution of each workflow: {before:?}");

    let full = work.path().join("full");
    let t0 = Instant::now();
    let out = rig.ok(&["backup", "--to", &full.display().to_string()]);
    let backup_time = t0.elapsed();
    assert!(out.contains("supabase data:") && out.contains("n8n database:") && out.contains("no secrets"), "{out}");
    let manifest: Value = serde_json::from_slice(&std::fs::read(full.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["secrets_included"], false);
    assert!(manifest["images"].as_array().unwrap().iter().any(|i| i["service"] == "n8n/n8n" && i["id"].as_str().unwrap().starts_with("sha256:")), "{manifest}");
    for (path, bytes) in backup_files(&full) {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600, "{}", path.display());
        let text = String::from_utf8_lossy(&bytes);
        for key in SECRET_KEYS {
            assert!(!text.contains(&rig.env(key)), "{} holds {key}", path.display());
        }
    }
    // The credential is encrypted; the echo's execution keeps the header in clear (the scan's positive control).
    let n8n_dump = std::fs::read_to_string(full.join("n8n/database.sql")).unwrap();
    let credentials = n8n_dump.split("COPY public.credentials_entity ").nth(1).and_then(|b| b.split("\n\\.\n").next()).unwrap();
    assert!(credentials.contains("backupprobe") && !credentials.contains(PROBE_SECRET), "the credential is stored in clear");
    assert!(n8n_dump.contains(PROBE_SECRET), "the echo workflow's execution should hold the header it received");

    // A second backup with the secrets (the scan's positive control) and 3 MB more in Storage.
    rig.in_storage("head -c 3000000 /dev/urandom > /data/stub/stub/avatars/big.bin");
    let with_secrets = work.path().join("with-secrets");
    assert!(rig.ok(&["backup", "--include-secrets", "--to", &with_secrets.display().to_string()]).contains("holds the deployment's secrets"));
    let env_copy = std::fs::read_to_string(with_secrets.join("secrets/env")).unwrap();
    assert!(env_copy.contains(&rig.env("N8N_ENCRYPTION_KEY")));
    let manifest: Value = serde_json::from_slice(&std::fs::read(with_secrets.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["secrets_included"], true);

    // Everything gone; the new Storage volume is a 2 MB tmpfs, under the name compose gives it.
    rig.ok(&["clean", "--volumes", "--yes"]);
    rig.up(true);
    rig.assert_untouched("fresh deployment");
    let env_file = rig.env_file();
    let dir = |p: &Path| p.display().to_string();

    let truncated = work.path().join("truncated");
    copy_backup(&full, &truncated);
    let data = truncated.join("supabase/data.sql");
    let bytes = std::fs::read(&data).unwrap();
    std::fs::write(&data, &bytes[..bytes.len() / 2]).unwrap();
    let line = rig.refused(&["restore", &dir(&truncated)], &env_file);
    assert!(line.contains("supabase/data.sql") && line.contains("truncated"), "{line}");
    rig.assert_untouched("truncated archive");

    let altered = work.path().join("altered");
    copy_backup(&full, &altered);
    let dump = altered.join("n8n/database.sql");
    let mut bytes = std::fs::read(&dump).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x20;
    std::fs::write(&dump, &bytes).unwrap();
    let line = rig.refused(&["restore", &dir(&altered)], &env_file);
    assert!(line.contains("n8n/database.sql") && line.contains("checksum mismatch"), "{line}");
    rig.assert_untouched("checksum mismatch");

    let other_key = work.path().join("other-key.env");
    let text = std::fs::read_to_string(&env_file).unwrap();
    std::fs::write(&other_key, text.replace(&rig.env("N8N_ENCRYPTION_KEY"), "a-different-encryption-key-0123456789abcdef")).unwrap();
    let line = rig.refused(&["restore", &dir(&full)], &other_key);
    assert!(line.contains("N8N_ENCRYPTION_KEY") && line.contains("could not decrypt"), "{line}");
    rig.assert_untouched("wrong encryption key");

    let line = rig.refused(&["restore", &dir(&with_secrets)], &env_file);
    assert!(line.contains(&rig.storage_volume()) && line.contains("no room"), "{line}");
    rig.assert_untouched("full target");

    // A target that holds data is named and refused; --yes would replace it.
    rig.supabase("insert into auth.users (id, email) values ('00000000-0000-4000-8000-0000000000c3', 'cy@example.test')");
    let line = rig.refused(&["restore", &dir(&full)], &env_file);
    assert!(line.contains("auth.users (1 rows)") && line.contains("--yes"), "{line}");
    rig.supabase("delete from auth.users");

    let t0 = Instant::now();
    rig.ok(&["restore", &dir(&full), "--timeout", "900"]);
    let restore_time = t0.elapsed();
    assert_eq!(rig.snapshot(), before, "the same rows, roles, workflows, credentials, executions and files");
    assert_eq!(n8n.probe(), json!({"probe": PROBE_SECRET}), "the restored workflow runs and its credential decrypts");
    let runs = || rig.n8n("select count(*) from execution_entity where status = 'success'").trim().to_string();
    let start = Instant::now();
    while runs() != "4" && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(500));
    }
    assert_eq!(runs(), "4", "the runs after the restore are recorded too");
    eprintln!("measured: backup {:.1}s, restore {:.1}s (test data set)", backup_time.as_secs_f64(), restore_time.as_secs_f64());
}
