#!/bin/sh
set -eu

#######################################
# Used by both ami and docker builds to initialise database schema.
# Env vars:
#   POSTGRES_DB        defaults to postgres
#   POSTGRES_HOST      defaults to localhost
#   POSTGRES_PORT      defaults to 5432
#   POSTGRES_PASSWORD  defaults to ""
#   USE_DBMATE         defaults to ""
# Exit code:
#   0 if migration succeeds, non-zero on error.
#######################################

# --- AIWAH substitute (not upstream; see stacks/offline/supabase-postgres/README.md) ----------------
# The official image ships extensions that Debian's postgresql-15 does not. A file that fails ONLY
# because it creates one of these is skipped with a log line (and a line in $PGDATA/aiwah-substitute-
# skipped.log) instead of aborting the whole init. Any other error still stops init, as upstream.
AIWAH_MISSING_EXTENSIONS="pg_net pgsodium pg_graphql pgjwt supabase_vault vault pg_tle http supautils safeupdate pg_safeupdate"
AIWAH_SKIP_LOG="${PGDATA:-/var/lib/postgresql/data}/aiwah-substitute-skipped.log"
aiwah_run_sql() { # aiwah_run_sql ROLE FILE: upstream's psql call, plus the skip rule above
    _aiwah_err="$(mktemp)"
    if psql -v ON_ERROR_STOP=1 --no-password --no-psqlrc -U "$1" -f "$2" 2>"$_aiwah_err"; then
        cat "$_aiwah_err" >&2; rm -f "$_aiwah_err"; return 0
    fi
    cat "$_aiwah_err" >&2
    for _aiwah_ext in $AIWAH_MISSING_EXTENSIONS; do
        if grep -Eq "extension \"$_aiwah_ext\" is not available|could not open extension control file \".*/$_aiwah_ext\.control\"" "$_aiwah_err"; then
            echo "$0: SKIPPED $2: it needs extension $_aiwah_ext, which this substitute image (aiwah-offline/supabase-postgres, Debian postgresql-15) does not have" >&2
            printf '%s\t%s\tmissing extension %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$2" "$_aiwah_ext" >>"$AIWAH_SKIP_LOG"
            rm -f "$_aiwah_err"; return 0
        fi
    done
    rm -f "$_aiwah_err"; return 1
}
# --- end AIWAH ------------------------------------------------------------------------------------

export PGDATABASE="${POSTGRES_DB:-postgres}"
export PGHOST="${POSTGRES_HOST:-localhost}"
export PGPORT="${POSTGRES_PORT:-5432}"
export PGPASSWORD="${POSTGRES_PASSWORD:-}"

# if args are supplied, simply forward to dbmate
connect="$PGPASSWORD@$PGHOST:$PGPORT/$PGDATABASE?sslmode=disable"
if [ "$#" -ne 0 ]; then
	export DATABASE_URL="${DATABASE_URL:-postgres://supabase_admin:$connect}"
	exec dbmate "$@"
	exit 0
fi

db=$(cd -- "$(dirname -- "$0")" >/dev/null 2>&1 && pwd)
if [ -z "${USE_DBMATE:-}" ]; then
	psql -v ON_ERROR_STOP=1 --no-password --no-psqlrc -U supabase_admin <<EOSQL
do \$\$
begin
  -- postgres role is pre-created during AMI build
  if not exists (select from pg_roles where rolname = 'postgres') then
    create role postgres superuser login password '$PGPASSWORD';
    alter database postgres owner to postgres;
  end if;
end \$\$
EOSQL
	# run init scripts as postgres user
	for sql in "$db"/init-scripts/*.sql; do
		echo "$0: running $sql"
		aiwah_run_sql postgres "$sql"
	done
	psql -v ON_ERROR_STOP=1 --no-password --no-psqlrc -U postgres -c "ALTER USER supabase_admin WITH PASSWORD '$PGPASSWORD'"
	# run migrations as super user - postgres user demoted in post-setup
	for sql in "$db"/migrations/*.sql; do
		echo "$0: running $sql"
		aiwah_run_sql supabase_admin "$sql"
	done
else
	psql -v ON_ERROR_STOP=1 --no-password --no-psqlrc -U supabase_admin <<EOSQL
  create role postgres superuser login password '$PGPASSWORD';
  alter database postgres owner to postgres;
EOSQL
	# run init scripts as postgres user
	DBMATE_MIGRATIONS_DIR="$db/init-scripts" DATABASE_URL="postgres://postgres:$connect" dbmate --no-dump-schema migrate
	psql -v ON_ERROR_STOP=1 --no-password --no-psqlrc -U postgres -c "ALTER USER supabase_admin WITH PASSWORD '$PGPASSWORD'"
	# run migrations as super user - postgres user demoted in post-setup
	DBMATE_MIGRATIONS_DIR="$db/migrations" DATABASE_URL="postgres://supabase_admin:$connect" dbmate --no-dump-schema migrate
fi

# run any post migration script to update role passwords
postinit="/etc/postgresql.schema.sql"
if [ -e "$postinit" ]; then
	echo "$0: running $postinit"
	psql -v ON_ERROR_STOP=1 --no-password --no-psqlrc -U supabase_admin -f "$postinit"
fi

# once done with everything, reset stats from init
psql -v ON_ERROR_STOP=1 --no-password --no-psqlrc -U supabase_admin -c 'SELECT extensions.pg_stat_statements_reset(); SELECT pg_stat_reset();' || true
