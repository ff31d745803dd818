//! A real OCI registry on a loopback port, for tests and demonstrations without a public registry:
//! Debian's `docker-registry` (distribution 2.8) with its own config and storage folder. Images built
//! here are pushed under official repository names (`127.0.0.1:PORT/n8nio/n8n:2.41.1`), so a client or a
//! mirror-prefixed deployment sees what it would see upstream. Dropping it stops the process and removes
//! its folder and the engine's tags pointing at it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::engine::docker;
use crate::problem::{Problem, Result};

/// Where Debian's package puts the registry binary.
pub const REGISTRY_BINARY: &str = "/usr/bin/docker-registry";
/// The Debian package that provides it.
pub const REGISTRY_PACKAGE: &str = "docker-registry";
/// How long a fresh registry may take to answer `GET /v2/` (it answers at once when idle; slack for load).
const READY_DEADLINE: Duration = Duration::from_secs(20);

pub struct LocalRegistry {
    /// A shell that runs the registry and kills it when its stdin closes, so that even a test killed
    /// outright (no Drop) does not leave a registry behind: the pipe closes with the test process.
    keeper: Child,
    dir: PathBuf,
    port: u16,
    /// `127.0.0.1:PORT/...` references this registry pushed; untagged from the engine on drop.
    pushed: Vec<String>,
}

impl LocalRegistry {
    /// Install the package if missing, start a registry on a free loopback port, wait until `GET /v2/` answers.
    pub fn start() -> Result<LocalRegistry> {
        ensure_installed()?;
        // A free port can be taken between our probe and the registry's bind: try a few.
        let mut last = None;
        for _ in 0..3 {
            match LocalRegistry::start_once() {
                Ok(registry) => return Ok(registry),
                Err(problem) => last = Some(problem),
            }
        }
        Err(last.expect("at least one attempt"))
    }

    fn start_once() -> Result<LocalRegistry> {
        let dir = std::env::temp_dir().join(format!("aiwah-registry-{}-{}", std::process::id(), crate::secrets::random::hex(8)));
        let port = free_loopback_port()?;
        std::fs::create_dir_all(dir.join("storage")).map_err(|e| Problem::new(dir.display().to_string(), format!("cannot create: {e}")))?;
        let config = dir.join("config.yml");
        std::fs::write(&config, config_text(&dir.join("storage"), port))
            .map_err(|e| Problem::new(config.display().to_string(), format!("cannot write: {e}")))?;
        let log = std::fs::File::create(dir.join("registry.log")).map_err(|e| Problem::new(dir.display().to_string(), format!("cannot create log: {e}")))?;
        let keeper = Command::new("sh")
            .args(["-c", "exec 3<&0; \"$1\" serve \"$2\" </dev/null & r=$!; read _ <&3; kill $r; wait $r", "sh", REGISTRY_BINARY])
            .arg(&config)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| Problem::new(REGISTRY_BINARY, format!("cannot start: {e}")))?;
        let mut registry = LocalRegistry { keeper, dir, port, pushed: Vec::new() };
        registry.wait_ready()?;
        Ok(registry)
    }

    /// `127.0.0.1:PORT`, the prefix of references to this registry.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:PORT`, the base URL of its Distribution API.
    pub fn url(&self) -> String {
        format!("http://{}", self.host())
    }

    /// The registry's storage and config folder (removed on drop).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Push the engine's `local_image` as `official` (`repository:tag`, e.g. `n8nio/n8n:2.41.1`) and
    /// return the manifest digest the registry stored. The engine's tag for it is removed again at once.
    pub fn push(&mut self, local_image: &str, official: &str) -> Result<String> {
        let reference = format!("{}/{official}", self.host());
        docker::docker(&["tag", local_image, &reference])?;
        self.pushed.push(reference.clone());
        let out = docker::docker(&["push", &reference]);
        let _ = docker::docker(&["image", "rm", &reference]);
        self.pushed.retain(|r| r != &reference);
        let out = out?;
        // The CLI ends a push with `<tag>: digest: sha256:... size: N`.
        out.split_whitespace()
            .skip_while(|w| *w != "digest:")
            .nth(1)
            .filter(|d| d.starts_with("sha256:"))
            .map(String::from)
            .ok_or_else(|| Problem::new(format!("docker push {reference}"), format!("no digest in its output: {}", crate::problem::last_line(&out, "empty"))))
    }

    /// Give the pushed `official` (`repository:tag`) another creation time: its config blob is read, its
    /// `created` set to `unix`, stored as a new blob, and the tag's manifest re-pointed at it (the layers
    /// stay). What the engine 20.10 cannot do at build time (no SOURCE_DATE_EPOCH), for the cool-down.
    /// Returns the tag's new manifest digest.
    pub fn set_created(&self, official: &str, unix: u64) -> Result<String> {
        use sha2::Digest;
        let (repository, tag) = official.rsplit_once(':').ok_or_else(|| Problem::new(format!("image {official:?}"), "is not repository:tag"))?;
        let what = format!("local registry {}: {official}", self.url());
        let fail = |e: String| Problem::new(&what, e);
        let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(30)).build().map_err(|e| fail(e.to_string()))?;
        let base = format!("{}/v2/{repository}", self.url());
        let manifest_type = "application/vnd.docker.distribution.manifest.v2+json";
        let get = |url: &str, accept: &str| -> Result<serde_json::Value> {
            let response = http.get(url).header("accept", accept).send().map_err(|e| fail(format!("GET {url}: {e}")))?;
            let status = response.status();
            if !status.is_success() {
                return Err(fail(format!("GET {url}: HTTP {status}")));
            }
            response.json().map_err(|e| fail(format!("GET {url}: {e}")))
        };
        let mut manifest = get(&format!("{base}/manifests/{tag}"), manifest_type)?;
        let config_digest =
            manifest["config"]["digest"].as_str().ok_or_else(|| fail("its manifest names no config (not a single-platform image)".into()))?.to_string();
        let mut config = get(&format!("{base}/blobs/{config_digest}"), "application/json")?;
        config["created"] = crate::clock::Utc::from_unix(unix).rfc3339().into();
        let bytes = serde_json::to_vec(&config).map_err(|e| fail(e.to_string()))?;
        let digest = format!("sha256:{:x}", sha2::Sha256::digest(&bytes));
        // A monolithic upload: POST for an upload URL, PUT the blob with its digest.
        let started = http.post(format!("{base}/blobs/uploads/")).send().map_err(|e| fail(format!("blob upload: {e}")))?;
        let location = started.headers().get("location").and_then(|l| l.to_str().ok()).map(String::from);
        let location = location.ok_or_else(|| fail(format!("blob upload: HTTP {} without a Location", started.status())))?;
        let location = if location.starts_with('/') { format!("{}{location}", self.url()) } else { location };
        let separator = if location.contains('?') { '&' } else { '?' };
        let put = http
            .put(format!("{location}{separator}digest={digest}"))
            .header("content-type", "application/octet-stream")
            .body(bytes.clone())
            .send()
            .map_err(|e| fail(format!("blob upload: {e}")))?;
        if !put.status().is_success() {
            return Err(fail(format!("blob upload: HTTP {}", put.status())));
        }
        manifest["config"]["digest"] = digest.into();
        manifest["config"]["size"] = bytes.len().into();
        let put = http
            .put(format!("{base}/manifests/{tag}"))
            .header("content-type", manifest["mediaType"].as_str().unwrap_or(manifest_type).to_string())
            .body(serde_json::to_vec(&manifest).map_err(|e| fail(e.to_string()))?)
            .send()
            .map_err(|e| fail(format!("manifest upload: {e}")))?;
        let status = put.status();
        let new_digest = put.headers().get("docker-content-digest").and_then(|d| d.to_str().ok()).map(String::from);
        match new_digest {
            Some(d) if status.is_success() => Ok(d),
            _ => Err(fail(format!("manifest upload: HTTP {status}: {}", crate::problem::last_line(&put.text().unwrap_or_default(), "no body")))),
        }
    }

    /// Poll `GET /v2/` until it answers 200; fail at once when the process ends, naming its last log line.
    fn wait_ready(&mut self) -> Result<()> {
        let started = Instant::now();
        let what = format!("local registry {}: GET /v2/ answering 200", self.url());
        loop {
            if let Ok(Some(status)) = self.keeper.try_wait() {
                let log = std::fs::read_to_string(self.dir.join("registry.log")).unwrap_or_default();
                return Err(Problem::new(what, format!("the registry exited ({status}) before answering: {}", crate::problem::last_line(&log, "no log"))));
            }
            if let Ok((200, _)) = http_get(self.port, "/v2/") {
                return Ok(());
            }
            if started.elapsed() > READY_DEADLINE {
                return Err(Problem::new(what, format!("no answer within {} s", READY_DEADLINE.as_secs())));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for LocalRegistry {
    fn drop(&mut self) {
        for reference in &self.pushed {
            let _ = docker::docker(&["image", "rm", reference]);
        }
        // Closing stdin makes the keeper kill the registry and wait for it; the keeper is killed only if
        // that does not happen in time.
        drop(self.keeper.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(10);
        while matches!(self.keeper.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        if matches!(self.keeper.try_wait(), Ok(None)) {
            let _ = self.keeper.kill();
            let _ = self.keeper.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Install Debian's `docker-registry` when its binary is missing (needs root, as `.ci/run` has).
pub fn ensure_installed() -> Result<PathBuf> {
    let binary = PathBuf::from(REGISTRY_BINARY);
    if binary.is_file() {
        return Ok(binary);
    }
    let out =
        Command::new("apt-get").args(["install", "-y", "-q", REGISTRY_PACKAGE]).env("DEBIAN_FRONTEND", "noninteractive").output().map_err(|e| {
            Problem::new(REGISTRY_BINARY, format!("missing, and apt-get cannot run: {e}")).hint(format!("apt-get install -y {REGISTRY_PACKAGE}"))
        })?;
    if !out.status.success() || !binary.is_file() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(Problem::new(
            REGISTRY_BINARY,
            format!("missing, and apt-get install {REGISTRY_PACKAGE} failed: {}", crate::problem::last_line(&err, "no output")),
        )
        .hint(format!("apt-get update && apt-get install -y {REGISTRY_PACKAGE}")));
    }
    Ok(binary)
}

fn config_text(storage: &Path, port: u16) -> String {
    format!(
        "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
        storage.display()
    )
}

fn free_loopback_port() -> Result<u16> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| Problem::new("127.0.0.1", format!("no free port: {e}")))
}

/// A plain HTTP/1.0 GET on the loopback port: status and body. Enough for a readiness check without
/// an HTTP client dependency.
pub fn http_get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| std::io::Error::other("no HTTP status line"))?;
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    Ok((status, body))
}
