//! Pulling images, and asking whether a registry answers at all, through the engine's own API on its
//! Unix socket: `POST /images/create` streams one JSON object per layer event, with bytes done and
//! total (`docker pull` prints byte counts only to a terminal, and its text is not an interface).
//! The engine does the registry traffic, so its proxies, mirrors and certificates apply. No client
//! library: one HTTP/1.0 request per call, the answer read until the engine closes it. Engines
//! reached otherwise (`DOCKER_HOST=tcp://…`) are pulled through the CLI, without byte counts.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read as _, Write as _};
use std::os::unix::net::UnixStream;
use std::sync::Mutex;
use std::time::Duration;

use crate::engine::docker;
use crate::problem::{Problem, Result};

/// Why an image could not be pulled.
#[derive(Debug)]
pub enum PullFailure {
    /// No registry answered (name resolution, connection, TLS, timeout): the offline fallback applies.
    Unreachable(String),
    /// A registry answered and refused, or the engine failed: an error naming the image.
    Refused(Problem),
}

/// One layer as the engine reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layer {
    pub phase: Phase,
    pub done: u64,
    pub total: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Phase {
    #[default]
    Waiting,
    Downloading,
    Verifying,
    Extracting,
    Complete,
}

/// Where one image's pull stands: its layers by short id.
#[derive(Debug, Clone, Default)]
pub struct PullState {
    pub image: String,
    pub layers: BTreeMap<String, Layer>,
    /// The engine's last word about the image as a whole (`Digest: …`, `Status: Image is up to date …`).
    pub note: String,
}

impl PullState {
    pub fn complete(&self) -> usize {
        self.layers.values().filter(|l| l.phase == Phase::Complete).count()
    }

    /// Bytes downloaded and the total known so far (layers announce their size when they start).
    pub fn bytes(&self) -> (u64, u64) {
        self.layers.values().fold((0, 0), |(d, t), l| {
            (
                d + if l.phase == Phase::Downloading {
                    l.done
                } else if l.phase > Phase::Downloading {
                    l.total
                } else {
                    0
                },
                t + l.total,
            )
        })
    }

    /// `3/7 layers, 12.3/45.6 MB; waiting for 1a2b3c (downloading 4.0/20.1 MB), 4d5e6f (extracting)`.
    pub fn describe(&self) -> String {
        if self.layers.is_empty() {
            return if self.note.is_empty() { "waiting for the registry's manifest".to_string() } else { format!("no layer to fetch; {}", self.note) };
        }
        let (done, total) = self.bytes();
        let mb = |b: u64| b as f64 / 1_000_000.0;
        let mut line = format!("{}/{} layers, {:.1}/{:.1} MB", self.complete(), self.layers.len(), mb(done), mb(total));
        let waiting: Vec<String> = self
            .layers
            .iter()
            .filter(|(_, l)| l.phase != Phase::Complete)
            .map(|(id, l)| match l.phase {
                Phase::Downloading => format!("{id} (downloading {:.1}/{:.1} MB)", mb(l.done), mb(l.total)),
                Phase::Verifying => format!("{id} (verifying)"),
                Phase::Extracting => format!("{id} (extracting)"),
                _ => format!("{id} (queued)"),
            })
            .collect();
        if !waiting.is_empty() {
            let more = waiting.len().saturating_sub(3);
            line.push_str(&format!("; waiting for {}", waiting.into_iter().take(3).collect::<Vec<_>>().join(", ")));
            if more > 0 {
                line.push_str(&format!(" +{more} more"));
            }
        }
        line
    }

    /// Apply one event of the engine's pull stream; an `error` event ends the pull.
    pub fn apply(&mut self, event: &serde_json::Value) -> std::result::Result<(), String> {
        if let Some(error) = event.get("error").and_then(|e| e.as_str()) {
            return Err(error.to_string());
        }
        let Some(status) = event.get("status").and_then(|v| v.as_str()) else { return Ok(()) };
        let Some(id) = event.get("id").and_then(|v| v.as_str()) else {
            self.note = status.to_string();
            return Ok(());
        };
        // Events about the tag itself ("Pulling from library/x") carry the tag as id, not a layer.
        let phase = match status {
            "Pulling fs layer" | "Waiting" => Phase::Waiting,
            "Downloading" => Phase::Downloading,
            "Verifying Checksum" | "Download complete" => Phase::Verifying,
            "Extracting" => Phase::Extracting,
            "Pull complete" | "Already exists" => Phase::Complete,
            _ => return Ok(()),
        };
        let layer = self.layers.entry(id.to_string()).or_default();
        layer.phase = layer.phase.max(phase);
        if let Some(detail) = event.get("progressDetail").filter(|_| phase == Phase::Downloading) {
            layer.done = detail.get("current").and_then(|v| v.as_u64()).unwrap_or(layer.done);
            layer.total = detail.get("total").and_then(|v| v.as_u64()).unwrap_or(layer.total);
        }
        Ok(())
    }
}

impl PartialOrd for Phase {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Phase {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (*self as u8).cmp(&(*other as u8))
    }
}

/// Pull `image`, calling `progress` after every event of the engine's stream.
pub fn pull(image: &str, progress: &mut dyn FnMut(&PullState)) -> std::result::Result<(), PullFailure> {
    let Some(socket) = engine_socket() else { return pull_by_cli(image) };
    let (repository, tag) = split_reference(image);
    let path = format!("/images/create?fromImage={}&tag={}", query(repository), query(tag));
    let (status, mut body) = request(&socket, "POST", &path).map_err(|p| PullFailure::Refused(p.hint("is the Docker engine running?")))?;
    if status != 200 {
        let mut text = String::new();
        let _ = body.read_to_string(&mut text);
        return Err(classify(image, &engine_message(&text)));
    }
    let mut state = PullState { image: image.to_string(), ..PullState::default() };
    for line in body.lines() {
        let line = line.map_err(|e| PullFailure::Refused(Problem::new(format!("pull {image}"), format!("the engine's answer broke off: {e}"))))?;
        let Ok(event) = serde_json::from_str::<serde_json::Value>(line.trim()) else { continue };
        state.apply(&event).map_err(|message| classify(image, &message))?;
        progress(&state);
    }
    Ok(())
}

/// Whether the registry serving `image` answers, asked through the engine (its manifest endpoint);
/// a registry that answers "unknown" or "denied" answers. Remembered per registry for this process.
pub fn registry_answers(image: &str) -> Result<std::result::Result<(), String>> {
    let registry = registry_of(image);
    if let Some(seen) = static_seen().lock().unwrap_or_else(|e| e.into_inner()).get(&registry) {
        return Ok(seen.clone());
    }
    // An engine reached otherwise is not asked ahead: its pull tells.
    let Some(socket) = engine_socket() else { return Ok(Ok(())) };
    let (status, mut body) = request(&socket, "GET", &format!("/distribution/{image}/json"))?;
    let mut text = String::new();
    let _ = body.read_to_string(&mut text);
    let answer = match status {
        200 => Ok(()),
        _ => match classify(image, &engine_message(&text)) {
            PullFailure::Unreachable(why) => Err(why),
            PullFailure::Refused(_) => Ok(()),
        },
    };
    remember_unreachable(&registry, answer.clone().err());
    Ok(answer)
}

/// Record what a pull found out about `image`'s registry (so that plans resolved later agree).
pub fn remember(image: &str, unreachable: Option<String>) {
    remember_unreachable(&registry_of(image), unreachable);
}

/// A registry this process found not answering, and what the engine said (the first one).
pub fn unreachable_seen() -> Option<(String, String)> {
    static_seen().lock().unwrap_or_else(|e| e.into_inner()).iter().find_map(|(registry, seen)| seen.clone().err().map(|why| (registry.clone(), why)))
}

fn remember_unreachable(registry: &str, why: Option<String>) {
    static_seen().lock().unwrap_or_else(|e| e.into_inner()).insert(registry.to_string(), why.map_or(Ok(()), Err));
}

/// Carries what one process learnt of the registries to the processes it starts (the suite's setup
/// script → every scenario process), so that they agree with it and do not each ask the engine
/// again: one line of JSON, registry → `null` (answers) or why it does not.
pub const SEEN_ENV: &str = "AIWAH_REGISTRIES_SEEN";

/// `SEEN_ENV=<json>` for what this process has seen, if anything.
pub fn seen_env_line() -> Option<String> {
    let seen = static_seen().lock().unwrap_or_else(|e| e.into_inner());
    if seen.is_empty() {
        return None;
    }
    Some(format!("{SEEN_ENV}={}", encode_seen(&seen)))
}

type Seen = BTreeMap<String, std::result::Result<(), String>>;

fn encode_seen(seen: &Seen) -> String {
    let map: BTreeMap<&String, Option<&String>> = seen.iter().map(|(registry, answer)| (registry, answer.as_ref().err())).collect();
    serde_json::to_string(&map).unwrap_or_default()
}

fn decode_seen(text: &str) -> Seen {
    let map: BTreeMap<String, Option<String>> = serde_json::from_str(text).unwrap_or_default();
    map.into_iter().map(|(registry, why)| (registry, why.map_or(Ok(()), Err))).collect()
}

/// Starts from what the parent passed in [`SEEN_ENV`] (unreadable: nothing passed, ask again).
fn static_seen() -> &'static Mutex<Seen> {
    static SEEN: std::sync::OnceLock<Mutex<Seen>> = std::sync::OnceLock::new();
    SEEN.get_or_init(|| Mutex::new(std::env::var(SEEN_ENV).map(|text| decode_seen(&text)).unwrap_or_default()))
}

/// The registry part of a reference: its first component when that names a host, else Docker Hub.
pub fn registry_of(image: &str) -> String {
    match image.split_once('/') {
        Some((first, _)) if first.contains('.') || first.contains(':') || first == "localhost" => first.to_string(),
        _ => "docker.io".to_string(),
    }
}

/// The engine's words that mean no registry answered at all (Go's net and TLS errors).
const UNREACHABLE: [&str; 9] = [
    "no such host",
    "connection refused",
    "i/o timeout",
    "network is unreachable",
    "no route to host",
    "TLS handshake timeout",
    "server misbehaving",
    "request canceled while waiting for connection",
    "dial tcp",
];

fn classify(image: &str, message: &str) -> PullFailure {
    if UNREACHABLE.iter().any(|m| message.contains(m)) {
        PullFailure::Unreachable(message.to_string())
    } else {
        PullFailure::Refused(
            Problem::new(format!("image {image}"), format!("the registry refused it: {message}"))
                .hint("check the name and tag in stacks/images.toml, or AIWAH_REGISTRY_MIRROR"),
        )
    }
}

fn engine_message(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text.trim())
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(String::from))
        .unwrap_or_else(|| crate::problem::last_line(text, "no answer"))
}

fn pull_by_cli(image: &str) -> std::result::Result<(), PullFailure> {
    docker::docker(&["pull", "--quiet", image]).map(|_| ()).map_err(|p| classify(image, &p.message))
}

/// `repository`, `tag` of a reference (`latest` when none; a digest stays in the repository part).
fn split_reference(image: &str) -> (&str, &str) {
    if image.contains('@') {
        return (image, "");
    }
    match image.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, tag),
        _ => (image, "latest"),
    }
}

fn query(value: &str) -> String {
    value.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-._~:/@".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// The engine's Unix socket (`DOCKER_HOST=unix://…`, or the default), none for other transports.
fn engine_socket() -> Option<String> {
    match std::env::var("DOCKER_HOST") {
        Ok(host) if !host.is_empty() => host.strip_prefix("unix://").map(String::from),
        _ => Some("/var/run/docker.sock".to_string()),
    }
}

/// One HTTP/1.0 request to the engine: its status and the body as a stream (read until closed).
fn request(socket: &str, method: &str, path: &str) -> Result<(u16, BufReader<UnixStream>)> {
    let engine = || docker::engine_name();
    let mut stream = UnixStream::connect(socket).map_err(|e| Problem::new(engine(), format!("cannot connect to {socket}: {e}")))?;
    // A pull of a large layer can be quiet for a while; a dead registry is the engine's to time out.
    stream.set_read_timeout(Some(Duration::from_secs(600))).ok();
    write!(stream, "{method} {path} HTTP/1.0\r\nHost: docker\r\nContent-Length: 0\r\n\r\n").map_err(|e| Problem::new(engine(), format!("cannot send: {e}")))?;
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line).map_err(|e| Problem::new(engine(), format!("no answer: {e}")))?;
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Problem::new(engine(), format!("not an HTTP answer: {status_line:?}")))?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).map_err(|e| Problem::new(engine(), e.to_string()))? == 0 || header.trim().is_empty() {
            break;
        }
    }
    Ok((status, reader))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_one_process_saw_of_the_registries_reaches_another_unchanged() {
        let mut seen = Seen::new();
        seen.insert("docker.io".into(), Err("lookup registry-1.docker.io: no such host".into()));
        seen.insert("127.0.0.1:5000".into(), Ok(()));
        let text = encode_seen(&seen);
        assert!(!text.contains('\n'), "one line (an env file line): {text}");
        assert_eq!(decode_seen(&text), seen);
        assert!(decode_seen("not json").is_empty(), "unreadable: asked again, not taken as unreachable");
    }

    #[test]
    fn events_become_layers_bytes_and_what_is_waited_for() {
        let mut state = PullState { image: "n8nio/n8n:2.41.1".into(), ..PullState::default() };
        for event in [
            r#"{"status":"Pulling from n8nio/n8n","id":"2.41.1"}"#,
            r#"{"status":"Pulling fs layer","progressDetail":{},"id":"aaa"}"#,
            r#"{"status":"Pulling fs layer","progressDetail":{},"id":"bbb"}"#,
            r#"{"status":"Already exists","progressDetail":{},"id":"ccc"}"#,
            r#"{"status":"Downloading","progressDetail":{"current":2000000,"total":8000000},"id":"aaa"}"#,
            r#"{"status":"Downloading","progressDetail":{"current":1000000,"total":1000000},"id":"bbb"}"#,
            r#"{"status":"Download complete","progressDetail":{},"id":"bbb"}"#,
            r#"{"status":"Extracting","progressDetail":{"current":500,"total":1000000},"id":"bbb"}"#,
        ] {
            state.apply(&serde_json::from_str(event).unwrap()).unwrap();
        }
        assert_eq!(state.layers.len(), 3, "the tag's own event is not a layer: {:?}", state.layers);
        assert_eq!(state.bytes(), (3_000_000, 9_000_000), "extracting counts its whole size as downloaded");
        assert_eq!(state.describe(), "1/3 layers, 3.0/9.0 MB; waiting for aaa (downloading 2.0/8.0 MB), bbb (extracting)");
        let mut known = PullState::default();
        assert_eq!(known.describe(), "waiting for the registry's manifest");
        known.apply(&serde_json::json!({"status": "Status: Image is up to date for n8nio/n8n:2.41.1"})).unwrap();
        assert_eq!(known.describe(), "no layer to fetch; Status: Image is up to date for n8nio/n8n:2.41.1");
        let error = serde_json::json!({"errorDetail": {"message": "manifest unknown"}, "error": "manifest unknown"});
        assert_eq!(state.apply(&error), Err("manifest unknown".into()));
    }

    #[test]
    fn unreachable_registries_are_told_from_refusals() {
        let dns = r#"Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 10.0.0.53:53: no such host"#;
        assert!(matches!(classify("busybox:1", dns), PullFailure::Unreachable(_)));
        assert!(matches!(
            classify("x:1", "Get \"http://127.0.0.1:5999/v2/\": dial tcp 127.0.0.1:5999: connect: connection refused"),
            PullFailure::Unreachable(_)
        ));
        assert!(matches!(classify("x:1", "manifest for 127.0.0.1:5000/x:1 not found: manifest unknown: manifest unknown"), PullFailure::Refused(_)));
        assert_eq!(registry_of("supabase/gotrue:v2.196.0"), "docker.io");
        assert_eq!(registry_of("127.0.0.1:5000/supabase/gotrue:v2.196.0"), "127.0.0.1:5000");
        assert_eq!(split_reference("127.0.0.1:5000/n8nio/n8n:2.41.1"), ("127.0.0.1:5000/n8nio/n8n", "2.41.1"));
        assert_eq!(split_reference("127.0.0.1:5000/busybox"), ("127.0.0.1:5000/busybox", "latest"));
    }
}
