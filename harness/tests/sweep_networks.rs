//! A dead run's network the engine still counts endpoints on: the sweep force-disconnects every
//! endpoint the engine lists, then removes it; one it counts but lists nowhere (a stale endpoint of
//! an aborted start — the engine's own bookkeeping, no container to name) is reported once, naming
//! the network and the remedy, and never stops the rest of the sweep.
//!
//! A stale endpoint cannot be made on demand on a real engine (it takes an engine killed mid-start),
//! so the `docker` CLI is a script here that answers like Docker 20.10 does: `network rm` fails with
//! "has active endpoints" followed by `exit status 1`, until the listed endpoints are disconnected.

use std::path::Path;

use aiwah_harness::engine::sweep;

/// A `docker` that knows two dead networks (`listed` has one endpoint it shows, `stale` one it does
/// not) and one dead volume; every call is appended to `calls`.
const FAKE_DOCKER: &str = r#"#!/usr/bin/env bash
state="$(dirname "$0")"
echo "$*" >> "$state/calls"
case "$1 $2" in
  "ps -a") exit 0 ;;
  "network ls") echo aiwah-abc123-listed; echo aiwah-abc123-stale ;;
  "volume ls") [ -e "$state/vol-gone" ] || echo aiwah-abc123-data ;;
  "network inspect"|"volume inspect")
    case "$4" in
      *io.aiwah.run*) echo "4194304@1" ;;
      *io.aiwah.deployment*) echo "abc123" ;;
      *Containers*) if [ "$5" = aiwah-abc123-listed ] && ! [ -e "$state/disconnected" ]; then echo "aiwah-abc123-n8n-n8n-1 "; fi ;;
    esac ;;
  "network disconnect") [ "$4 $5" = "aiwah-abc123-listed aiwah-abc123-n8n-n8n-1" ] && touch "$state/disconnected" ;;
  "network rm")
    if [ "$3" = aiwah-abc123-listed ] && [ -e "$state/disconnected" ]; then echo "$3"; exit 0; fi
    echo "Error response from daemon: error while removing network: network $3 id 5f0c has active endpoints" >&2
    echo "exit status 1" >&2
    exit 1 ;;
  "volume rm") touch "$state/vol-gone"; echo "$4" ;;
  *) echo "fake docker: unexpected call: $*" >&2; exit 2 ;;
esac
"#;

fn install_fake_docker(dir: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    let exe = dir.join("docker");
    std::fs::write(&exe, FAKE_DOCKER).unwrap();
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", dir.display(), std::env::var("PATH").unwrap_or_default());
    // SAFETY: this binary's only test; nothing else reads the environment concurrently.
    unsafe { std::env::set_var("PATH", path) };
}

#[test]
fn listed_endpoints_are_disconnected_and_a_stale_one_is_named_with_its_remedy() {
    let dir = tempfile::tempdir().unwrap();
    install_fake_docker(dir.path());

    let swept = sweep::sweep_dead_runs();
    assert_eq!(swept.networks, vec!["aiwah-abc123-listed".to_string()], "the network with a listed endpoint is freed and removed");
    assert_eq!(swept.volumes, vec!["aiwah-abc123-data".to_string()], "a network that cannot go does not stop the rest of the sweep");
    let calls = std::fs::read_to_string(dir.path().join("calls")).unwrap();
    assert!(calls.lines().any(|l| l == "network disconnect --force aiwah-abc123-listed aiwah-abc123-n8n-n8n-1"), "{calls}");

    let stale = sweep::remove_network("aiwah-abc123-stale").unwrap_err();
    assert_eq!(stale.location, "network aiwah-abc123-stale");
    assert!(stale.message.contains("counts active endpoints on it but lists none"), "{stale}");
    assert!(stale.message.contains("has active endpoints") && !stale.message.contains("exit status"), "the engine's own words, not the CLI's trailer: {stale}");
    let hint = stale.hint.clone().unwrap_or_default();
    assert!(hint.contains("restart the Docker engine") && hint.contains("docker network rm aiwah-abc123-stale"), "{hint}");
    assert_eq!(stale.to_string().lines().count(), 1, "one line: {stale}");
}
