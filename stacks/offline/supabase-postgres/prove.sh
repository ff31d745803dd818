#!/usr/bin/env bash
# Prove aiwah-offline/supabase-postgres against the Supabase stack's own `db` service definition.
#
#   stacks/offline/supabase-postgres/prove.sh [IMAGE]     (default: the tag build.sh gives this recipe)
#
# Runs ONLY the `db` service of stacks/supabase/compose.yml, unchanged except for its image (a throwaway
# override file), under a throwaway compose project with a throwaway .env (random passwords, mode 0600),
# then checks what the Supabase services rely on at the compose level (health check, logins over the
# network, restarts). The full end state (every role attribute, membership, grant) and its mutation tests
# are in harness/tests/db_end_state.rs. Prints `N passed, N failed`. Removes every container,
# network and volume it created (images stay). Exit 0 only if every check passed.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
COMPOSE_FILE="$REPO/stacks/supabase/compose.yml"
IMAGE="${1:-$(bash "$REPO/stacks/offline/build.sh" --tag supabase-postgres)}"
docker image inspect "$IMAGE" >/dev/null 2>&1 ||
  { echo "prove.sh: image $IMAGE not found: run stacks/offline/build.sh supabase-postgres" >&2; exit 2; }

ID="$(date +%s)-$$"
PROJECT="aiwah-sp-proof-$ID"
WORK="$(mktemp -d /tmp/aiwah-sp-proof.XXXXXX)"
SHARED_NET="aiwah-sp-proof-shared-$ID"
CREATED_SHARED=""
PASS=0; FAIL=0

rand() { head -c 256 /dev/urandom | tr -dc 'A-Za-z0-9' | head -c "$1"; }

# .env from stacks/env.template: every @generator becomes a random value of its length.
umask 077
while IFS= read -r line; do
  case "$line" in
    [A-Z]*=@*) key="${line%%=*}"; n="$(awk '$2 ~ /^[0-9]+$/ {print $2}' <<<"${line#*=@}")"; printf '%s=%s\n' "$key" "$(rand "${n:-32}")" ;;
    [A-Z]*=*) printf '%s\n' "$line" ;;
  esac
done <"$REPO/stacks/env.template" >"$WORK/.env"
printf 'AIWAH_SHARED_NETWORK=%s\nN8N_OWNER_PASSWORD=%s\nN8N_OWNER_PASSWORD_HASH=x\n' "$SHARED_NET" "$(rand 24)" >>"$WORK/.env"
env_get() { sed -n "s/^$1=//p" "$WORK/.env" | tail -n1; }
POSTGRES_PASSWORD="$(env_get POSTGRES_PASSWORD)"; POSTGRES_PORT="$(env_get POSTGRES_PORT)"; JWT_EXPIRY="$(env_get JWT_EXPIRY)"
cat >"$WORK/override.yml" <<EOF
services:
  db:
    image: $IMAGE
EOF

dc() { docker compose -p "$PROJECT" --env-file "$REPO/stacks/images.env" --env-file "$WORK/.env" \
  -f "$COMPOSE_FILE" -f "$WORK/override.yml" "$@"; }

cleanup() {
  dc down -v --remove-orphans >/dev/null 2>&1 || true
  if [ -n "$CREATED_SHARED" ]; then docker network rm "$SHARED_NET" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

check() { # check DESCRIPTION EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then PASS=$((PASS + 1)); printf 'ok   %s\n' "$1"
  else FAIL=$((FAIL + 1)); printf 'FAIL %s\n     expected: %s\n     actual:   %s\n' "$1" "$2" "$3"; fi
}

# psql inside the db container over the Unix socket as OS user postgres (peer -> role postgres).
in_db() { docker exec -u postgres "$(dc ps -q db)" psql -X -v ON_ERROR_STOP=1 -At -d "${2:-postgres}" -c "$1"; }
# psql from ANOTHER container on the stack network: TCP from a non-loopback address = scram-sha-256.
net_psql() { # net_psql USER PASSWORD SQL [DB]
  docker run --rm --network "${PROJECT}_internal" -e PGPASSWORD="$2" --entrypoint psql "$IMAGE" \
    -X -q -v ON_ERROR_STOP=1 -At -h db -p "$POSTGRES_PORT" -U "$1" -d "${4:-postgres}" -c "$3"
}

echo "== image $IMAGE, project $PROJECT"
if ! docker network inspect "$SHARED_NET" >/dev/null 2>&1; then
  docker network create "$SHARED_NET" >/dev/null; CREATED_SHARED=1   # compose validates external networks
fi
t0=$(date +%s)
dc up -d db >/dev/null 2>&1 || { dc logs db | tail -50; echo "0 passed, 1 failed"; exit 1; }
deadline=$((t0 + 180)); status=""
while [ "$(date +%s)" -lt "$deadline" ]; do
  status="$(docker inspect -f '{{.State.Health.Status}}' "$(dc ps -q db)" 2>/dev/null || echo gone)"
  [ "$status" = healthy ] && break
  [ "$status" = gone ] && break
  sleep 1
done
t_healthy=$(( $(date +%s) - t0 ))
check "db healthy (compose healthcheck pg_isready -U postgres -h localhost) after ${t_healthy}s" healthy "$status"
if [ "$status" != healthy ]; then dc logs db | tail -80; echo "$PASS passed, $((FAIL)) failed"; exit 1; fi
echo "   first start to healthy: ${t_healthy}s (includes initdb and all init scripts)"
# The temporary init server is socket-only; pg_isready over TCP turns green only for the real server.
check "init finished (log line from the entrypoint)" 1 "$(dc logs db 2>&1 | grep -c 'PostgreSQL init process complete')"
check "init: the only psql error is the skipped webhooks.sql (pg_net)" 'psql:/docker-entrypoint-initdb.d/init-scripts/98-webhooks.sql:11: ERROR:  extension "pg_net" is not available' \
  "$(dc logs --no-log-prefix db 2>&1 | grep -E '^psql:.*ERROR' | tr -s ' ' | sed 's/ERROR: /ERROR:  /')"
check "database postgres owned by postgres (migrate.sh), so postgres may CREATE in schema public" "postgres,true" \
  "$(in_db "select pg_get_userbyid(datdba)||','||has_schema_privilege('postgres','public','CREATE') from pg_database where datname='postgres'")"

# --- password authentication over TCP from another container -------------------------------------
check "supabase_admin: password login over TCP" "supabase_admin" "$(net_psql supabase_admin "$POSTGRES_PASSWORD" 'select current_user')"
check "postgres: password login over TCP" "postgres" "$(net_psql postgres "$POSTGRES_PASSWORD" 'select current_user')"
check "wrong password is refused over TCP" refused \
  "$(net_psql postgres wrong-password 'select 1' >/dev/null 2>&1 && echo accepted || echo refused)"
check "server version is PostgreSQL 17 (as the official 17.6.1.136)" 17 "$(in_db 'show server_version_num' | cut -c1-2)"
check "wal_level = logical" logical "$(in_db 'show wal_level')"
check "config file in use" /etc/postgresql/postgresql.conf "$(in_db 'show config_file')"
check "hba file in use" /etc/postgresql/pg_hba.conf "$(in_db 'show hba_file')"
check "data directory" /var/lib/postgresql/data "$(in_db 'show data_directory')"

# --- roles ----------------------------------------------------------------------------------------
role() { in_db "select rolsuper||','||rolinherit||','||rolcreaterole||','||rolcreatedb||','||rolcanlogin||','||rolreplication||','||rolbypassrls from pg_roles where rolname='$1'"; }
#                                        super,inherit,createrole,createdb,login,replication,bypassrls
check "role supabase_admin"             "true,true,true,true,true,true,true"      "$(role supabase_admin)"
check "role postgres (demoted, bypassrls)" "false,true,true,true,true,true,true"  "$(role postgres)"
check "role anon (nologin)"             "false,true,false,false,false,false,false"   "$(role anon)"
check "role authenticated (nologin)"    "false,true,false,false,false,false,false"   "$(role authenticated)"
check "role service_role (bypassrls)"   "false,true,false,false,false,false,true"    "$(role service_role)"
check "role authenticator (login noinherit)" "false,false,false,false,true,false,false" "$(role authenticator)"
check "authenticator is granted anon, authenticated, service_role, supabase_admin" \
  "anon,authenticated,service_role,supabase_admin" \
  "$(in_db "select string_agg(r.rolname, ',' order by r.rolname) from pg_auth_members m join pg_roles r on r.oid=m.roleid where m.member='authenticator'::regrole")"
for r in supabase_auth_admin supabase_storage_admin supabase_realtime_admin dashboard_user pgbouncer \
         supabase_replication_admin supabase_read_only_user supabase_etl_admin supabase_superuser; do
  check "role $r exists" 1 "$(in_db "select count(*) from pg_roles where rolname='$r'")"
done
check "anon statement_timeout 3s" "statement_timeout=3s" "$(in_db "select array_to_string(setconfig, ',') from pg_db_role_setting where setrole='anon'::regrole and setdatabase=0")"

# --- authenticator + JWT claims ------------------------------------------------------------------
check "authenticator logs in with POSTGRES_PASSWORD and can SET ROLE authenticated" "authenticated" \
  "$(net_psql authenticator "$POSTGRES_PASSWORD" 'set role authenticated; select current_user')"
UUID="$(cat /proc/sys/kernel/random/uuid)"
check "auth.uid() reads request.jwt.claims under role authenticated" "$UUID" \
  "$(net_psql authenticator "$POSTGRES_PASSWORD" "begin; set local role authenticated; select set_config('request.jwt.claims', '{\"sub\":\"$UUID\",\"role\":\"authenticated\",\"email\":\"a@b.c\"}', true); select auth.uid(); commit;" | tail -n1)"
check "auth.role(), auth.email(), auth.jwt()->>'sub'" "authenticated|a@b.c|$UUID" \
  "$(net_psql authenticator "$POSTGRES_PASSWORD" "begin; set local role authenticated; select set_config('request.jwt.claims', '{\"sub\":\"$UUID\",\"role\":\"authenticated\",\"email\":\"a@b.c\"}', true); select auth.role()||'|'||auth.email()||'|'||(auth.jwt()->>'sub'); commit;" | tail -n1)"
check "auth functions owned by supabase_auth_admin" "supabase_auth_admin" \
  "$(in_db "select string_agg(distinct pg_get_userbyid(proowner), ',') from pg_proc where pronamespace='auth'::regnamespace and proname in ('uid','role','email','jwt')")"

# --- schemas, publication, databases from the mounted SQL ----------------------------------------
check "supabase_realtime publication exists" 1 "$(in_db "select count(*) from pg_publication where pubname='supabase_realtime'")"
for s in auth storage extensions realtime graphql_public pgbouncer _realtime; do
  check "schema $s exists" 1 "$(in_db "select count(*) from pg_namespace where nspname='$s'")"
done
check "_realtime owned by supabase_admin (realtime.sql, POSTGRES_USER default)" supabase_admin \
  "$(in_db "select pg_get_userbyid(nspowner) from pg_namespace where nspname='_realtime'")"
check "database _supabase exists (_supabase.sql)" 1 "$(in_db "select count(*) from pg_database where datname='_supabase'")"
check "schemas _analytics, _supavisor in _supabase (logs.sql, pooler.sql)" "_analytics,_supavisor" \
  "$(in_db "select string_agg(nspname, ',' order by nspname) from pg_namespace where nspname in ('_analytics','_supavisor')" _supabase)"
check "app.settings.jwt_exp set on database postgres (jwt.sql)" "app.settings.jwt_exp=${JWT_EXPIRY:-3600}" \
  "$(in_db "select s from pg_db_role_setting, unnest(setconfig) s where setdatabase=(select oid from pg_database where datname='postgres') and setrole=0 and s like 'app.settings.jwt_exp=%'")"
check "pgbouncer password set (roles.sql)" "pgbouncer" "$(net_psql pgbouncer "$POSTGRES_PASSWORD" 'select current_user')"
check "supabase_auth_admin password set (roles.sql)" "supabase_auth_admin" "$(net_psql supabase_auth_admin "$POSTGRES_PASSWORD" 'select current_user')"
check "extensions uuid-ossp, pgcrypto, pg_stat_statements in schema extensions" "pg_stat_statements,pgcrypto,uuid-ossp" \
  "$(in_db "select string_agg(extname, ',' order by extname) from pg_extension where extnamespace='extensions'::regnamespace")"
check "PostgREST reload event triggers" "pgrst_ddl_watch,pgrst_drop_watch" \
  "$(in_db "select string_agg(evtname, ',' order by evtname) from pg_event_trigger where evtname like 'pgrst_%'")"
check "webhooks.sql skipped with a logged reason (no pg_net in Debian)" 1 \
  "$(dc logs db 2>&1 | grep -c 'SKIPPED /docker-entrypoint-initdb.d/init-scripts/98-webhooks.sql: it needs extension pg_net')"
check "skip is recorded in \$PGDATA/aiwah-substitute-skipped.log" 1 \
  "$(docker exec "$(dc ps -q db)" grep -c '98-webhooks.sql' /var/lib/postgresql/data/aiwah-substitute-skipped.log)"
check "no supabase_functions schema (it comes from the skipped webhooks.sql)" 0 \
  "$(in_db "select count(*) from pg_namespace where nspname='supabase_functions'")"

# --- restart keeps data ----------------------------------------------------------------------------
net_psql postgres "$POSTGRES_PASSWORD" "create table public.aiwah_proof(v text); insert into public.aiwah_proof values ('$ID')" >/dev/null
dc restart db >/dev/null 2>&1
t1=$(date +%s); status=""
while [ "$(( $(date +%s) - t1 ))" -lt 120 ]; do
  status="$(docker inspect -f '{{.State.Health.Status}}' "$(dc ps -q db)" 2>/dev/null || echo gone)"
  [ "$status" = healthy ] && break; sleep 1
done
check "healthy again after restart ($(( $(date +%s) - t1 ))s)" healthy "$status"
check "data survives a restart" "$ID" "$(net_psql postgres "$POSTGRES_PASSWORD" 'select v from public.aiwah_proof')"
dc stop db >/dev/null 2>&1; dc rm -f db >/dev/null 2>&1
dc up -d db >/dev/null 2>&1
t2=$(date +%s); status=""
while [ "$(( $(date +%s) - t2 ))" -lt 120 ]; do
  status="$(docker inspect -f '{{.State.Health.Status}}' "$(dc ps -q db)" 2>/dev/null || echo gone)"
  [ "$status" = healthy ] && break; sleep 1
done
check "new container on the same volume: healthy ($(( $(date +%s) - t2 ))s), init skipped" "healthy,1" \
  "$status,$(dc logs db 2>&1 | grep -c 'Skipping initialization')"
check "data survives container re-creation" "$ID" "$(net_psql postgres "$POSTGRES_PASSWORD" 'select v from public.aiwah_proof')"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
