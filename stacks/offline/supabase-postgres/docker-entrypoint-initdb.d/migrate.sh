#!/bin/sh
# AIWAH init runner for the supabase-postgres substitute. The parent image's entrypoint executes it once,
# on an empty data directory, against the socket-only temporary server (bootstrap superuser:
# POSTGRES_USER=supabase_admin). It keeps the official image's contract, which the compose file relies on:
#
#   1. role `postgres` exists as a superuser with POSTGRES_PASSWORD and owns database `postgres`;
#   2. init-scripts/*.sql run as `postgres` (ours: 00-roles ... 60-api; compose adds 98-webhooks,
#      99-roles, 99-jwt);
#   3. supabase_admin gets POSTGRES_PASSWORD;
#   4. migrations/*.sql run as supabase_admin (ours: 00-demote-postgres; compose adds 97-_supabase,
#      99-logs, 99-pooler, 99-realtime), then statistics from init are reset.
#
# A file that fails only because it needs an extension Debian does not package (list below) is skipped
# with a log line and a line in $PGDATA/aiwah-substitute-skipped.log; any other error stops init.
set -eu

unavailable_extensions="pg_net pgsodium pg_graphql pgjwt supabase_vault vault pg_tle supautils safeupdate pg_safeupdate"
skip_log="${PGDATA:-/var/lib/postgresql/data}/aiwah-substitute-skipped.log"
here="$(cd "$(dirname "$0")" && pwd)"

export PGDATABASE="${POSTGRES_DB:-postgres}" PGHOST="${POSTGRES_HOST:-localhost}" PGPORT="${POSTGRES_PORT:-5432}"
export PGPASSWORD="${POSTGRES_PASSWORD:-}"

sql_as() { # sql_as ROLE [psql args...]: stop at the first error, no ~/.psqlrc, no password prompt
  role=$1; shift
  psql -X -v ON_ERROR_STOP=1 -w -U "$role" "$@"
}

# run_file ROLE FILE: run one init file; a failure caused only by a missing extension is a logged skip.
run_file() {
  echo "$0: $2 (as $1)"
  errors="$(mktemp)"
  if sql_as "$1" -f "$2" 2>"$errors"; then cat "$errors" >&2; rm -f "$errors"; return 0; fi
  cat "$errors" >&2
  for extension in $unavailable_extensions; do
    if grep -Eq "extension \"$extension\" is not available|/$extension\.control\"" "$errors"; then
      echo "$0: SKIPPED $2: it needs extension $extension, which this substitute image (aiwah-offline/supabase-postgres, Debian postgresql-17) does not have" >&2
      printf '%s\t%s\tmissing extension %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$2" "$extension" >>"$skip_log"
      rm -f "$errors"; return 0
    fi
  done
  rm -f "$errors"; return 1
}

# 1. postgres: a superuser until migrations/00-demote-postgres.sql. psql quotes the password (:'var').
sql_as supabase_admin -v "password=$PGPASSWORD" <<'EOSQL'
select format('create role postgres with superuser login password %L', :'password')
 where not exists (select from pg_roles where rolname = 'postgres') \gexec
alter database postgres owner to postgres;
EOSQL

# 2. as postgres
for file in "$here"/init-scripts/*.sql; do run_file postgres "$file"; done

# 3.
sql_as postgres -q -v "password=$PGPASSWORD" <<'EOSQL'
select format('alter role supabase_admin with password %L', :'password') \gexec
EOSQL

# 4. as supabase_admin
for file in "$here"/migrations/*.sql; do run_file supabase_admin "$file"; done

# The official image applies an optional site file last; keep the hook.
if [ -e /etc/postgresql.schema.sql ]; then run_file supabase_admin /etc/postgresql.schema.sql; fi
sql_as supabase_admin -q -c 'select extensions.pg_stat_statements_reset(); select pg_stat_reset();' >/dev/null || true
