#!/usr/bin/env bash
# Prove the offline images by running them for real:
#   stacks/offline/prove.sh [postgres] [placeholder] [n8n]     (default: all three)
# Needs the images built (stacks/offline/build.sh all). Every container, network and volume it creates
# carries the label aiwah.prove=RUN_ID and is removed on exit (images are left alone). Ports are
# published on 127.0.0.1 only, on ephemeral host ports. Ends with a line "N passed, N failed".
# AIWAH_PROVE_LOGS=DIR keeps the n8n container's log there.
set -euo pipefail

OFFLINE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUN_ID="aiwah-prove-$$-$(date +%s)"
LABEL="aiwah.prove=$RUN_ID"
PASSED=0 FAILED=0
TMP="$(mktemp -d /tmp/aiwah-prove.XXXXXX)"

cleanup() {
  local ids=()
  mapfile -t ids < <(docker ps -aq --filter "label=$LABEL")
  [ ${#ids[@]} -eq 0 ] || docker rm -f -v "${ids[@]}" >/dev/null 2>&1 || true
  mapfile -t ids < <(docker network ls -q --filter "label=$LABEL")
  [ ${#ids[@]} -eq 0 ] || docker network rm "${ids[@]}" >/dev/null 2>&1 || true
  mapfile -t ids < <(docker volume ls -q --filter "label=$LABEL")
  [ ${#ids[@]} -eq 0 ] || docker volume rm "${ids[@]}" >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT

say()  { printf '[prove] %s\n' "$*"; }
pass() { PASSED=$((PASSED + 1)); printf '[prove]   ok    %s\n' "$*"; }
fail() { FAILED=$((FAILED + 1)); printf '[prove]   FAIL  %s\n' "$*"; }
# check DESC CMD...: one assertion.
check() { local d=$1; shift; if "$@" >/dev/null 2>&1; then pass "$d"; else fail "$d"; fi; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
# wait_for DESC DEADLINE_S CMD...: poll CMD every 0.2 s; on timeout say what was waited for.
wait_for() {
  local d=$1 deadline=$2 t0; shift 2; t0=$(date +%s)
  until "$@" >/dev/null 2>&1; do
    if [ $(( $(date +%s) - t0 )) -ge "$deadline" ]; then
      fail "timed out after ${deadline}s waiting for $d"; return 1
    fi
    sleep 0.2
  done
}
# http_is CODE URL: the URL answers with that HTTP status (evaluated at each poll of wait_for).
http_is() { test "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$2")" = "$1"; }
host_port() { docker port "$1" "$2" | head -n1 | sed 's/.*://'; }
logs_have() { docker logs "$1" 2>&1 | grep -qF -- "$2"; }
psql_in() { local c=$1; shift; docker exec "$c" psql -v ON_ERROR_STOP=1 -U aiwah -d appdb -Atc "$@"; }
image() { "$OFFLINE_DIR/build.sh" --tag "$1"; }
need_image() {
  docker image inspect "$(image "$1")" >/dev/null 2>&1 && return 0
  fail "image $(image "$1") is not built: run stacks/offline/build.sh $1"; return 1
}

prove_postgres() {
  say "postgres: $(image postgres)"
  need_image postgres || return 0
  local img c vol init t0 port out
  img="$(image postgres)"; c="$RUN_ID-pg"; vol="$RUN_ID-pgdata"; init="$TMP/initdb"
  mkdir -p "$init"; chmod 755 "$init"
  cat >"$init/01-schema.sql" <<'EOF'
CREATE TABLE init_marks (source text PRIMARY KEY);
INSERT INTO init_marks VALUES ('01-schema.sql');
EOF
  cat >"$init/02-sourced.sh" <<'EOF'
# not executable: sourced by the entrypoint, so its helper functions are available
docker_process_sql <<<"INSERT INTO init_marks VALUES ('02-sourced.sh')"
EOF
  cat >"$init/03-executed.sh" <<'EOF'
#!/bin/bash
set -e
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "INSERT INTO init_marks VALUES ('03-executed.sh:$POSTGRES_USER')"
EOF
  chmod 644 "$init/01-schema.sql" "$init/02-sourced.sh"; chmod 755 "$init/03-executed.sh"

  out="$(docker run --rm --label "$LABEL" "$img" 2>&1 || true)"
  check "refuses to initialise without POSTGRES_PASSWORD" grep -q 'POSTGRES_PASSWORD is empty' <<<"$out"

  docker volume create --label "$LABEL" "$vol" >/dev/null
  local run=(docker run -d --label "$LABEL" -e POSTGRES_PASSWORD=s3cret-Pw -e POSTGRES_USER=aiwah
             -e POSTGRES_DB=appdb -v "$vol:/var/lib/postgresql/data" -v "$init:/docker-entrypoint-initdb.d:ro"
             -p 127.0.0.1::5432)
  t0=$(now)
  "${run[@]}" --name "$c" "$img" >/dev/null
  wait_for "postgres ($c) pg_isready over TCP" 60 docker exec "$c" pg_isready -h 127.0.0.1 -p 5432 || return 0
  say "postgres: ready over TCP $(since "$t0") s after docker run (first start, with initdb and init scripts)"
  port="$(host_port "$c" 5432/tcp)"
  check "published port 127.0.0.1:$port accepts TCP from the host" timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port"
  check "temporary init server listened on the Unix socket only" \
    bash -c "docker logs $c 2>&1 | sed '/init process complete/q' | grep -q 'listening on Unix socket' &&
             ! docker logs $c 2>&1 | sed '/init process complete/q' | grep -q 'listening on IPv4'"
  check "init .sql ran"                 test "$(psql_in "$c" "SELECT count(*) FROM init_marks WHERE source='01-schema.sql'")" = 1
  check "init .sh (not executable) was sourced" test "$(psql_in "$c" "SELECT count(*) FROM init_marks WHERE source='02-sourced.sh'")" = 1
  check "init .sh (executable) ran with POSTGRES_USER in its env" \
    test "$(psql_in "$c" "SELECT count(*) FROM init_marks WHERE source='03-executed.sh:aiwah'")" = 1
  check "init scripts ran in sorted order" logs_have "$c" "sourcing /docker-entrypoint-initdb.d/02-sourced.sh"
  check "pg_hba requires scram-sha-256 for host connections from anywhere" \
    docker exec "$c" bash -c 'tail -n1 "$PGDATA/pg_hba.conf" | grep -qx "host all all all scram-sha-256"'
  check "password over TCP is accepted" docker exec -e PGPASSWORD=s3cret-Pw "$c" psql -h 127.0.0.1 -U aiwah -d appdb -c 'SELECT 1'
  check "wrong password over TCP is refused" bash -c "! docker exec -e PGPASSWORD=wrong $c psql -h 127.0.0.1 -U aiwah -d appdb -c 'SELECT 1'"
  check "password stored as SCRAM-SHA-256" \
    test "$(psql_in "$c" "SELECT rolpassword LIKE 'SCRAM-SHA-256\$%' FROM pg_authid WHERE rolname='aiwah'")" = t
  check "PID 1 is the postgres server, running as uid 999 (postgres)" \
    docker exec "$c" bash -c 'test "$(cat /proc/1/comm)" = postgres && grep -qE "^Uid:\s+999\s" /proc/1/status'
  check "psql and pg_isready are on PATH" docker exec "$c" bash -c 'command -v psql && command -v pg_isready'
  psql_in "$c" "CREATE TABLE kept (v int); INSERT INTO kept VALUES (42);" >/dev/null

  t0=$(now); docker stop "$c" >/dev/null
  say "postgres: docker stop took $(since "$t0") s"
  check "docker stop: exit code 0" test "$(docker inspect -f '{{.State.ExitCode}}' "$c")" = 0
  check "docker stop: clean shutdown logged" logs_have "$c" "database system is shut down"
  docker rm -v "$c" >/dev/null

  t0=$(now)
  "${run[@]}" --name "$c-2" "$img" >/dev/null
  wait_for "postgres ($c-2) pg_isready over TCP" 60 docker exec "$c-2" pg_isready -h 127.0.0.1 -p 5432 || return 0
  say "postgres: ready over TCP $(since "$t0") s after docker run (existing PGDATA)"
  check "new container on the same volume skips initialisation" logs_have "$c-2" "Skipping initialization"
  check "init scripts did not run again" test "$(psql_in "$c-2" "SELECT count(*) FROM init_marks")" = 3
  check "data survived container re-creation" test "$(psql_in "$c-2" "SELECT v FROM kept")" = 42
  check "previous shutdown was clean (no recovery)" bash -c "! docker logs $c-2 2>&1 | grep -q 'not properly shut down'"

  docker kill -s TERM "$c-2" >/dev/null
  wait_for "postgres ($c-2) to exit after SIGTERM" 30 \
    bash -c "test \"\$(docker inspect -f '{{.State.Running}}' $c-2)\" = false" || return 0
  check "SIGTERM: smart shutdown, exit code 0" bash -c "docker logs $c-2 2>&1 | grep -q 'smart shutdown request' &&
    test \"\$(docker inspect -f '{{.State.ExitCode}}' $c-2)\" = 0"
  docker start "$c-2" >/dev/null
  wait_for "postgres ($c-2) pg_isready after restart" 60 docker exec "$c-2" pg_isready -h 127.0.0.1 -p 5432 || return 0
  check "restart after SIGTERM needs no recovery, data intact" bash -c "
    ! docker logs $c-2 2>&1 | grep -q 'not properly shut down' &&
    test \"\$(docker exec $c-2 psql -U aiwah -d appdb -Atc 'SELECT v FROM kept')\" = 42"
  docker rm -f -v "$c-2" >/dev/null
}

prove_placeholder() {
  say "placeholder: $(image placeholder)"
  need_image placeholder || return 0
  local img c t0 p1 p2 out i ok
  img="$(image placeholder)"; c="$RUN_ID-ph"
  out="$(docker run --rm --label "$LABEL" -e PLACEHOLDER_PORTS=x "$img" 2>&1 || true)"
  check "refuses a bad PLACEHOLDER_PORTS with a message" grep -q "is not a TCP port number" <<<"$out"

  t0=$(now)
  docker run -d --name "$c" --label "$LABEL" -e PLACEHOLDER_PORTS="8000 8443" -e PLACEHOLDER_FOR=kong \
    -p 127.0.0.1::8000 -p 127.0.0.1::8443 "$img" >/dev/null
  p1="$(host_port "$c" 8000/tcp)"; p2="$(host_port "$c" 8443/tcp)"
  wait_for "placeholder ($c) answering on 127.0.0.1:$p1" 20 http_is 503 "http://127.0.0.1:$p1/" || return 0
  say "placeholder: answering $(since "$t0") s after docker run"
  out="$(curl -s -w '\n%{http_code}' "http://127.0.0.1:$p1/rest/v1/anything")"
  check "port 8000: 503" test "$(tail -n1 <<<"$out")" = 503
  check "port 8000: body names the service" grep -qx 'placeholder for kong: official image not available offline' <<<"$out"
  check "port 8443: POST with a body gets 503" \
    test "$(curl -s -o /dev/null -w '%{http_code}' -X POST --data 'x=1' "http://127.0.0.1:$p2/auth/v1/token")" = 503
  check "HEAD gets 503" test "$(curl -sI -o /dev/null -w '%{http_code}' "http://127.0.0.1:$p1/")" = 503
  # A client that connects and never sends must not block the others (one process per connection).
  ( exec 3<>"/dev/tcp/127.0.0.1/$p1"; sleep 4 ) &
  local staller=$!
  sleep 0.3
  check "answers while another client stalls" \
    test "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$p1/")" = 503
  ok=0; for i in $(seq 1 100); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$p2/$i")" = 503 ] && ok=$((ok + 1))
  done
  check "100 sequential requests: all 503 ($ok)" test "$ok" = 100
  kill "$staller" 2>/dev/null || true; wait "$staller" 2>/dev/null || true
  wait_for "placeholder ($c) docker health status healthy" 30 \
    bash -c "test \"\$(docker inspect -f '{{.State.Health.Status}}' $c)\" = healthy" && pass "health check: healthy"
  check "runs as nobody (uid 65534)" docker exec "$c" bash -c 'grep -qE "^Uid:\s+65534\s" /proc/1/status'
  t0=$(now); docker stop "$c" >/dev/null; local took; took="$(since "$t0")"
  say "placeholder: docker stop took $took s"
  check "SIGTERM: exits promptly (${took}s < 2s) with code 0" bash -c "
    awk -v t=$took 'BEGIN { exit !(t < 2) }' && test \"\$(docker inspect -f '{{.State.ExitCode}}' $c)\" = 0"
  docker rm -f -v "$c" >/dev/null
}

prove_n8n() {
  say "n8n: $(image n8n) with $(image postgres)"
  need_image n8n && need_image postgres || return 0
  local img pg net db n t0 port code mem
  img="$(image n8n)"; pg="$(image postgres)"; net="$RUN_ID-net"; db="$RUN_ID-n8n-db"; n="$RUN_ID-n8n"
  docker network create --label "$LABEL" "$net" >/dev/null
  docker volume create --label "$LABEL" "$db-data" >/dev/null
  docker run -d --name "$db" --label "$LABEL" --network "$net" --network-alias n8n-db \
    -e POSTGRES_PASSWORD=n8n-Pw-123 -e POSTGRES_USER=n8n -e POSTGRES_DB=n8n \
    -v "$db-data:/var/lib/postgresql/data" "$pg" >/dev/null
  wait_for "n8n database ($db) pg_isready over TCP" 60 docker exec "$db" pg_isready -h 127.0.0.1 || return 0
  # --dns 127.0.0.1: names on the network still resolve (Docker's embedded DNS), anything else fails
  # inside the container, so n8n cannot reach out; the N8N_* switches stop it from trying.
  t0=$(now)
  docker run -d --name "$n" --label "$LABEL" --network "$net" --dns 127.0.0.1 -p 127.0.0.1::5678 \
    -e DB_TYPE=postgresdb -e DB_POSTGRESDB_HOST=n8n-db -e DB_POSTGRESDB_PORT=5432 \
    -e DB_POSTGRESDB_DATABASE=n8n -e DB_POSTGRESDB_USER=n8n -e DB_POSTGRESDB_PASSWORD=n8n-Pw-123 \
    -e N8N_ENCRYPTION_KEY="prove-$RUN_ID" -e N8N_DIAGNOSTICS_ENABLED=false \
    -e N8N_VERSION_NOTIFICATIONS_ENABLED=false -e N8N_TEMPLATES_ENABLED=false \
    -e N8N_DISABLED_MODULES=mcp-registry \
    "$img" >/dev/null
  port="$(host_port "$n" 5678/tcp)"
  wait_for "n8n ($n) http://127.0.0.1:$port/healthz to return 200" 180 \
    http_is 200 "http://127.0.0.1:$port/healthz" || { docker logs --tail 30 "$n"; return 0; }
  say "n8n: /healthz 200 after $(since "$t0") s"
  wait_for "n8n ($n) http://127.0.0.1:$port/healthz/readiness to return 200" 300 \
    http_is 200 "http://127.0.0.1:$port/healthz/readiness" || { docker logs --tail 30 "$n"; return 0; }
  say "n8n: /healthz/readiness 200 after $(since "$t0") s"
  pass "readiness 200 on the published port 127.0.0.1:$port"
  code="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")"
  check "editor UI served (GET / -> $code)" test "$code" = 200
  check "migrations created n8n's tables in PostgreSQL" \
    test "$(docker exec "$db" psql -U n8n -d n8n -Atc "SELECT count(*) FROM information_schema.tables WHERE table_schema='public' AND table_name IN ('workflow_entity','execution_entity','user','migrations')")" = 4
  check "runs as user node (uid 1000) with HOME /home/node" \
    docker exec "$n" bash -c 'test "$(id -un)" = node && test "$HOME" = /home/node && test -d /home/node/.n8n'
  check "n8n --version is 2.41.1, node is v24" docker exec "$n" bash -c 'test "$(n8n --version)" = 2.41.1 && node --version | grep -q "^v24\."'
  wait_for "n8n ($n) docker health status healthy" 90 \
    bash -c "test \"\$(docker inspect -f '{{.State.Health.Status}}' $n)\" = healthy" && pass "image HEALTHCHECK: healthy"
  if [ -n "${AIWAH_PROVE_LOGS:-}" ]; then
    mkdir -p "$AIWAH_PROVE_LOGS"; docker logs "$n" >"$AIWAH_PROVE_LOGS/n8n.log" 2>&1
    say "n8n: log saved to $AIWAH_PROVE_LOGS/n8n.log"
  fi
  mem="$(docker stats --no-stream --format '{{.MemUsage}}' "$n")"
  say "n8n: memory $mem"
  t0=$(now); docker stop "$n" >/dev/null; local took; took="$(since "$t0")"
  say "n8n: docker stop took $took s, exit code $(docker inspect -f '{{.State.ExitCode}}' "$n")"
  check "SIGTERM: n8n stops before docker's 10 s grace period" awk -v t="$took" 'BEGIN { exit !(t < 10) }'
}

main() {
  docker info >/dev/null 2>&1 || { echo "prove.sh: no Docker engine: run stacks/offline/engine.sh" >&2; exit 1; }
  local what=("$@"); [ ${#what[@]} -gt 0 ] || what=(postgres placeholder n8n)
  local w
  for w in "${what[@]}"; do
    case "$w" in
      postgres|placeholder|n8n) "prove_$w" ;;
      *) echo "prove.sh: unknown image '$w' (postgres, placeholder, n8n)" >&2; exit 2 ;;
    esac
  done
  printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
  [ "$FAILED" -eq 0 ]
}

main "$@"
