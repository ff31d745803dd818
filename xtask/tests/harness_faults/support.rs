//! What the harness-fault tests share: a standalone conformance run over a test-only feature folder
//! (its own ephemeral deployment of the supabase stack), with every output line timed; and an engine
//! socket the test owns, forwarding to the real one, that it can take away mid-run.

use std::io::{BufRead, BufReader};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use aiwah_harness::engine::docker::{self, Kind};
use aiwah_harness::engine::overrides::labels;
use aiwah_harness::suite::catalog::FEATURES_ENV;
use aiwah_harness::suite::shared::{HANDLE_ENV, REPORTS_ENV, ROOT_ENV, STACKS_ENV};
use aiwah_harness::suite::target::TARGET_ENV;

pub fn root() -> PathBuf {
    aiwah_harness::repo::find_root(&std::env::current_dir().unwrap()).unwrap()
}

/// The conformance test binary of this workspace (cargo builds it if needed and prints its path).
pub fn conformance_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("AIWAH_CONFORMANCE_BIN") {
        return PathBuf::from(path);
    }
    let out = Command::new("cargo")
        .args(["build", "-p", "aiwah-suite", "--test", "conformance", "--message-format=json"])
        .current_dir(root())
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    assert!(out.status.success(), "building the conformance binary failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "conformance")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .expect("cargo named the conformance binary")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Out,
    Err,
}

/// One output line and when it came (since the run started).
pub type Line = (Duration, Stream, String);

/// A standalone conformance run (`AIWAH_SUITE_STACKS=supabase`, features from a fixture folder).
pub struct Run {
    child: Child,
    started: Instant,
    lines: Arc<Mutex<Vec<Line>>>,
    readers: Vec<JoinHandle<()>>,
    /// Its run id: the label every resource of its deployment carries.
    pub run_id: String,
    _reports: tempfile::TempDir,
}

pub struct Finished {
    pub status: ExitStatus,
    pub lines: Vec<Line>,
    /// From the start to the process's end.
    pub elapsed: Duration,
}

impl Finished {
    pub fn text(&self) -> String {
        self.lines.iter().map(|(_, _, l)| l.as_str()).collect::<Vec<_>>().join("\n")
    }

    /// `scenario name → (event, when)` from the runner's JSON events (`ok`, `failed`, `ignored`).
    pub fn results(&self) -> std::collections::BTreeMap<String, (String, Duration)> {
        self.lines
            .iter()
            .filter(|(_, s, l)| *s == Stream::Out && l.starts_with('{'))
            .filter_map(|(t, _, l)| {
                let event: serde_json::Value = serde_json::from_str(l).ok()?;
                let kind = event["event"].as_str()?;
                let name = event["name"].as_str()?.to_string();
                (event["type"] == "test" && kind != "started").then(|| (name, (kind.to_string(), *t)))
            })
            .collect()
    }
}

impl Run {
    /// Start a run of every scenario of `harness/suite/tests/fixtures/harness_faults/<fixture>`, with
    /// `docker_host` as its `DOCKER_HOST` (the default socket when `None`).
    pub fn start(binary: &Path, fixture: &str, docker_host: Option<&str>) -> Run {
        let features = root().join("harness/suite/tests/fixtures/harness_faults").join(fixture);
        assert!(features.is_dir(), "{}", features.display());
        let reports = tempfile::tempdir().unwrap();
        let command = || {
            let mut cmd = Command::new(binary);
            cmd.env(ROOT_ENV, root())
                .env(FEATURES_ENV, &features)
                .env(STACKS_ENV, "supabase")
                .env(REPORTS_ENV, reports.path())
                .env("AIWAH_IMAGE_SOURCE", "offline")
                .env_remove(HANDLE_ENV)
                .env_remove(TARGET_ENV)
                .env_remove("AIWAH_REGISTRY_MIRROR")
                .stdin(Stdio::null());
            match docker_host {
                Some(host) => cmd.env("DOCKER_HOST", host),
                None => cmd.env_remove("DOCKER_HOST"),
            };
            cmd
        };
        // The fixture's scenarios only: the runner's self-checks are other tests' business.
        let listed = command().arg("--list").output().unwrap();
        let names: Vec<String> = String::from_utf8_lossy(&listed.stdout).lines().filter_map(|l| l.strip_suffix(": test")).map(String::from).collect();
        assert!(names.iter().any(|n| n.starts_with("faults::")), "the fixture's scenarios are listed: {names:?}");
        let mut cmd = command();
        cmd.args(["--exact", "--test-threads=1", "--format=json"]);
        for name in names.iter().filter(|n| !n.starts_with("faults::")) {
            cmd.args(["--skip", name]);
        }
        let started = Instant::now();
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let run_id = aiwah_harness::engine::sweep::run_of(child.id()).expect("the run's process exists");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let read = |pipe: Box<dyn std::io::Read + Send>, stream: Stream| {
            let lines = lines.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    lines.lock().unwrap().push((started.elapsed(), stream, line));
                }
            })
        };
        let readers = vec![read(Box::new(child.stdout.take().unwrap()), Stream::Out), read(Box::new(child.stderr.take().unwrap()), Stream::Err)];
        Run { child, started, lines, readers, run_id, _reports: reports }
    }

    pub fn since_start(&self) -> Duration {
        self.started.elapsed()
    }

    /// The deployment ids whose resources carry this run's label (empty before its start).
    pub fn deployments(&self) -> Vec<String> {
        let mut ids: Vec<String> = docker::list(Kind::Container, &format!("{}={}", labels::RUN, self.run_id))
            .unwrap_or_default()
            .iter()
            .filter_map(|c| docker::label_of(Kind::Container, c, labels::DEPLOYMENT).ok().flatten())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// Wait for the end, at most `limit` (a hung run is killed and fails the test, with its output).
    pub fn wait(mut self, limit: Duration) -> Finished {
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let elapsed = self.started.elapsed();
                for reader in self.readers.drain(..) {
                    let _ = reader.join();
                }
                let lines = std::mem::take(&mut *self.lines.lock().unwrap());
                return Finished { status, lines, elapsed };
            }
            if self.started.elapsed() > limit {
                let _ = self.child.kill();
                let _ = self.child.wait();
                let text: Vec<String> = self.lines.lock().unwrap().iter().map(|(_, _, l)| l.clone()).collect();
                panic!("the run hung: still running after {} s\n{}", limit.as_secs(), text.join("\n"));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// The container of this run's supabase/db, once its bulk insert (the fixture's long step) is running.
pub fn wait_for_bulk_insert(run: &Run, limit: Duration) -> String {
    let started = Instant::now();
    loop {
        assert!(started.elapsed() < limit, "no bulk insert seen running within {} s", limit.as_secs());
        let db = docker::list(Kind::Container, &format!("{}={}", labels::RUN, run.run_id))
            .unwrap_or_default()
            .into_iter()
            .find(|c| docker::label_of(Kind::Container, c, labels::SERVICE).ok().flatten().as_deref() == Some("db"));
        if let Some(db) = db {
            let sql = "select count(*) from pg_stat_activity where state = 'active' and query like 'insert into public.todos%generate_series%'";
            let active = docker::docker(&["exec", &db, "psql", "-X", "-tA", "-U", "supabase_admin", "-d", "postgres", "-c", sql]);
            if active.is_ok_and(|n| n.trim() == "1") {
                return db;
            }
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// What `deployment` left that the harness could have removed: everything the engine still has of it,
/// except a network the run itself named as held by a stale endpoint. Docker 20.10 can keep counting
/// an endpoint on a network that lists none (seen under heavy concurrent removal on this machine); no
/// API call removes it, only an engine restart — the run's teardown says so in one line, and the
/// sweeps name it with that remedy. Anything else left is a leak.
pub fn leaked_by(deployment: &str, run_text: &str) -> Vec<String> {
    let named_stale = |network: &str| run_text.contains(&format!("network {network}: the engine counts active endpoints on it but lists none"));
    left_of(deployment).into_iter().filter(|r| !r.strip_prefix("Network ").is_some_and(named_stale)).collect()
}

/// Every resource of `deployment` the engine still has.
pub fn left_of(deployment: &str) -> Vec<String> {
    let label = format!("{}={deployment}", labels::DEPLOYMENT);
    [Kind::Container, Kind::Network, Kind::Volume]
        .into_iter()
        .flat_map(|k| docker::list(k, &label).unwrap().into_iter().map(move |n| format!("{k:?} {n}")))
        .collect()
}

/// An engine socket the test owns: forwards every connection to the real engine until [`EngineProxy::stop`],
/// which then behaves as a stopped dockerd does — the socket is gone and open connections are cut.
pub struct EngineProxy {
    path: PathBuf,
    stopped: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<UnixStream>>>,
    pub connections: Arc<AtomicUsize>,
    acceptor: Option<JoinHandle<()>>,
}

impl EngineProxy {
    pub fn start(dir: &Path) -> EngineProxy {
        let path = dir.join("engine.sock");
        let listener = UnixListener::bind(&path).unwrap();
        listener.set_nonblocking(true).unwrap();
        let real = match std::env::var("DOCKER_HOST") {
            Ok(host) if !host.is_empty() => host.strip_prefix("unix://").expect("the real engine is on a unix socket").to_string(),
            _ => "/var/run/docker.sock".to_string(),
        };
        let (stopped, open, connections) = (Arc::new(AtomicBool::new(false)), Arc::new(Mutex::new(Vec::new())), Arc::new(AtomicUsize::new(0)));
        let acceptor = {
            let (stopped, open, connections) = (stopped.clone(), open.clone(), connections.clone());
            std::thread::spawn(move || {
                while !stopped.load(Ordering::SeqCst) {
                    let Ok((client, _)) = listener.accept() else {
                        std::thread::sleep(Duration::from_millis(10));
                        continue;
                    };
                    client.set_nonblocking(false).unwrap();
                    let Ok(engine) = UnixStream::connect(&real) else { continue };
                    connections.fetch_add(1, Ordering::SeqCst);
                    open.lock().unwrap().extend([client.try_clone().unwrap(), engine.try_clone().unwrap()]);
                    pipe(client.try_clone().unwrap(), engine.try_clone().unwrap());
                    pipe(engine, client);
                }
            })
        };
        EngineProxy { path, stopped, open, connections, acceptor: Some(acceptor) }
    }

    /// `DOCKER_HOST` for a process that should use this socket.
    pub fn host(&self) -> String {
        format!("unix://{}", self.path.display())
    }

    /// The engine goes away: nothing answers on the socket any more, and open connections end.
    pub fn stop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        let _ = std::fs::remove_file(&self.path);
        for stream in self.open.lock().unwrap().drain(..) {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }
}

impl Drop for EngineProxy {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Copy `from` into `to` until either ends, then end the other direction's write side too.
fn pipe(mut from: UnixStream, mut to: UnixStream) {
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut from, &mut to);
        let _ = to.shutdown(std::net::Shutdown::Write);
    });
}

/// The ephemeral deployments on the engine now (their ids).
pub fn suite_deployments() -> std::collections::BTreeSet<String> {
    let out =
        docker::docker(&["ps", "--filter", &format!("label={}=true", labels::EPHEMERAL), "--format", &format!("{{{{.Label \"{}\"}}}}", labels::DEPLOYMENT)]);
    out.unwrap_or_default().lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect()
}

/// `cargo nextest run` of a fixture's scenarios, nested in this test: nextest's setup script starts a
/// holder of the run's own deployment (supabase stack only), as in an ordinary run.
pub struct NestedNextest {
    child: Child,
    /// Read to the end of each stream: the holder keeps a captured run's stderr open until its
    /// deployment is removed, so the end of the streams is the end of the run.
    readers: Vec<JoinHandle<String>>,
}

impl NestedNextest {
    pub fn start(fixture: &str) -> NestedNextest {
        let features = root().join("harness/suite/tests/fixtures/harness_faults").join(fixture);
        let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        cmd.args(["nextest", "run", "-p", "aiwah-suite", "--test", "conformance", "--no-fail-fast", "-E", "test(/^faults::/)"])
            .current_dir(root())
            .env(FEATURES_ENV, &features)
            .env(STACKS_ENV, "supabase")
            .env("AIWAH_IMAGE_SOURCE", "offline")
            .env_remove(HANDLE_ENV)
            .env_remove(TARGET_ENV)
            .env_remove(REPORTS_ENV)
            .env_remove("AIWAH_REGISTRY_MIRROR")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // The outer nextest's variables describe this test, not the runs started here.
        for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("NEXTEST")) {
            cmd.env_remove(key);
        }
        let mut child = cmd.spawn().unwrap();
        let read = |mut pipe: Box<dyn std::io::Read + Send>| {
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = pipe.read_to_string(&mut text);
                text
            })
        };
        let readers = vec![read(Box::new(child.stdout.take().unwrap())), read(Box::new(child.stderr.take().unwrap()))];
        NestedNextest { child, readers }
    }

    pub fn ended(&mut self) -> bool {
        self.readers.iter().all(JoinHandle::is_finished) && self.child.try_wait().unwrap().is_some()
    }

    /// Its exit status and everything it printed, the holder's last words included.
    pub fn finish(mut self) -> (ExitStatus, String) {
        let status = self.child.wait().unwrap();
        let text = self.readers.drain(..).map(|r| r.join().unwrap_or_default()).collect::<Vec<_>>().join("\n");
        (status, text)
    }
}
