#!/bin/bash
# AIWAH: n8n's database, at its first start (docker-entrypoint-initdb.d; executable, so run, not sourced).
# n8n logs in as an unprivileged role rather than the superuser (n8n-io/n8n-hosting's withPostgres setup):
# POSTGRES_NON_ROOT_USER / POSTGRES_NON_ROOT_PASSWORD name it; it may use the database and create its
# tables in schema public. With either variable unset nothing is created and n8n needs the superuser.
set -euo pipefail

role="${POSTGRES_NON_ROOT_USER:-}"
password="${POSTGRES_NON_ROOT_PASSWORD:-}"
if [ -z "$role" ] || [ -z "$password" ]; then
	echo "init-data.sh: POSTGRES_NON_ROOT_USER or POSTGRES_NON_ROOT_PASSWORD is unset: no role for n8n created"
	exit 0
fi

# psql variables quote the names and the password, whatever characters they hold.
psql --set ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
	--set role="$role" --set password="$password" --set db="$POSTGRES_DB" <<'SQL'
create role :"role" with login password :'password';
grant all privileges on database :"db" to :"role";
grant create on schema public to :"role";
SQL
