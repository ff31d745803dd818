#!/usr/bin/env bash
# Entrypoint of the offline postgres image. Same contract as the official postgres image's:
#   POSTGRES_PASSWORD (required unless POSTGRES_HOST_AUTH_METHOD=trust), POSTGRES_USER (default postgres),
#   POSTGRES_DB (default: the user), POSTGRES_INITDB_ARGS, POSTGRES_INITDB_WALDIR,
#   POSTGRES_HOST_AUTH_METHOD (default scram-sha-256); *_FILE variants for the first four.
#   On an empty $PGDATA: initdb, pg_hba "host all all all scram-sha-256", then
#   /docker-entrypoint-initdb.d/* (sorted; *.sh executed if executable else sourced, *.sql and
#   *.sql.gz/.xz/.zst fed to psql) against a temporary server that listens on the Unix socket only.
#   Then the real server is exec'd in the foreground as user postgres (it is PID 1 and gets the stop signal).
#   A $PGDATA that already holds PG_VERSION is used as is (no init, no init scripts).
set -Eeo pipefail

# file_env VAR [DEFAULT]: VAR from $VAR or from the file named by $VAR_FILE.
file_env() {
	local var="$1" fileVar="${1}_FILE" def="${2:-}" val
	if [ "${!var:-}" ] && [ "${!fileVar:-}" ]; then
		printf >&2 'error: both %s and %s are set (but are exclusive)\n' "$var" "$fileVar"
		exit 1
	fi
	val="$def"
	if [ "${!var:-}" ]; then
		val="${!var}"
	elif [ "${!fileVar:-}" ]; then
		val="$(<"${!fileVar}")"
	fi
	export "$var"="$val"
	unset "$fileVar"
}

docker_setup_env() {
	file_env POSTGRES_PASSWORD
	file_env POSTGRES_USER postgres
	file_env POSTGRES_DB "$POSTGRES_USER"
	file_env POSTGRES_INITDB_ARGS
	: "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
	export POSTGRES_HOST_AUTH_METHOD
	DATABASE_ALREADY_EXISTS=
	if [ -s "$PGDATA/PG_VERSION" ]; then
		DATABASE_ALREADY_EXISTS=true
	fi
}

docker_create_db_directories() {
	mkdir -p "$PGDATA"
	chmod 00700 "$PGDATA" || :
	mkdir -p /var/run/postgresql || :
	chmod 03775 /var/run/postgresql || :
	if [ -n "${POSTGRES_INITDB_WALDIR:-}" ]; then
		mkdir -p "$POSTGRES_INITDB_WALDIR"
		chmod 700 "$POSTGRES_INITDB_WALDIR"
	fi
	if [ "$(id -u)" = 0 ]; then
		find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
		find /var/run/postgresql \! -user postgres -exec chown postgres:postgres '{}' +
		if [ -n "${POSTGRES_INITDB_WALDIR:-}" ]; then
			find "$POSTGRES_INITDB_WALDIR" \! -user postgres -exec chown postgres:postgres '{}' +
		fi
	fi
}

docker_verify_minimum_env() {
	if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
		cat >&2 <<-'EOE'
			Error: Database is uninitialized and superuser password is not specified.
			       You must specify POSTGRES_PASSWORD to a non-empty value for the
			       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".

			       You may also use "POSTGRES_HOST_AUTH_METHOD=trust" to allow all
			       connections without a password. This is *not* recommended.
		EOE
		exit 1
	fi
	if [ "$POSTGRES_HOST_AUTH_METHOD" = trust ]; then
		printf >&2 'WARNING: POSTGRES_HOST_AUTH_METHOD=trust: every host connection is allowed without a password.\n'
	fi
}

docker_init_database_dir() {
	local args=(--username="$POSTGRES_USER" --auth-local=trust --auth-host="$POSTGRES_HOST_AUTH_METHOD")
	if [ -n "${POSTGRES_INITDB_WALDIR:-}" ]; then
		args+=(--waldir="$POSTGRES_INITDB_WALDIR")
	fi
	if [ -n "$POSTGRES_PASSWORD" ]; then
		# shellcheck disable=SC2094
		eval 'initdb "${args[@]}" --pwfile=<(printf "%s\n" "$POSTGRES_PASSWORD") '"$POSTGRES_INITDB_ARGS"' "$@"'
	else
		eval 'initdb "${args[@]}" '"$POSTGRES_INITDB_ARGS"' "$@"'
	fi
}

# Host connections from anywhere must authenticate (scram-sha-256 unless told otherwise).
pg_setup_hba_conf() {
	{
		printf '\n# aiwah-offline entrypoint: host connections from any address\n'
		printf 'host all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD"
	} >>"$PGDATA/pg_hba.conf"
}

# psql against the temporary (socket-only) server; reads SQL from stdin or -f FILE.
docker_process_sql() {
	local query_runner=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
	if [ -n "$POSTGRES_DB" ]; then
		query_runner+=(--dbname "$POSTGRES_DB")
	fi
	PGHOST='' PGHOSTADDR='' "${query_runner[@]}" "$@"
}

# POSTGRES_DB='' only for psql's connection; --set db= still sees the real name (intended).
# shellcheck disable=SC2097,SC2098
docker_setup_db() {
	local dbAlreadyExists
	dbAlreadyExists="$(
		POSTGRES_DB='' docker_process_sql --dbname postgres --set db="$POSTGRES_DB" --tuples-only <<-'EOSQL'
			SELECT 1 FROM pg_database WHERE datname = :'db' ;
		EOSQL
	)"
	if [ -z "$dbAlreadyExists" ]; then
		POSTGRES_DB='' docker_process_sql --dbname postgres --set db="$POSTGRES_DB" <<-'EOSQL'
			CREATE DATABASE :"db" ;
		EOSQL
		printf '\n'
	fi
}

decompress_into_psql() { # decompress_into_psql TOOL FILE
	command -v "$1" >/dev/null || { printf >&2 '%s: %s needs %s, which this image does not have\n' "$0" "$2" "$1"; exit 1; }
	"$1" -dc "$2" | docker_process_sql
}

docker_process_init_files() {
	local f
	printf '\n'
	for f; do
		case "$f" in
			*.sh)
				if [ -x "$f" ]; then
					printf '%s: running %s\n' "$0" "$f"
					"$f"
				else
					printf '%s: sourcing %s\n' "$0" "$f"
					# shellcheck source=/dev/null
					. "$f"
				fi
				;;
			*.sql)     printf '%s: running %s\n' "$0" "$f"; docker_process_sql -f "$f" ;;
			*.sql.gz)  printf '%s: running %s\n' "$0" "$f"; decompress_into_psql gzip "$f" ;;
			*.sql.xz)  printf '%s: running %s\n' "$0" "$f"; decompress_into_psql xz "$f" ;;
			*.sql.zst) printf '%s: running %s\n' "$0" "$f"; decompress_into_psql zstd "$f" ;;
			*)         printf '%s: ignoring %s\n' "$0" "$f" ;;
		esac
		printf '\n'
	done
}

# Temporary server for initialisation: Unix socket only, so TCP health checks stay red until the real
# server starts listening.
docker_temp_server_start() {
	if [ "$1" = postgres ]; then
		shift
	fi
	set -- "$@" -c listen_addresses='' -p "${PGPORT:-5432}"
	PGUSER="${PGUSER:-$POSTGRES_USER}" pg_ctl -D "$PGDATA" -o "$(printf '%q ' "$@")" -w start
}

docker_temp_server_stop() {
	PGUSER="${PGUSER:-postgres}" pg_ctl -D "$PGDATA" -m fast -w stop
}

_pg_want_help() {
	local arg
	for arg; do
		case "$arg" in
			-'?' | --help | --describe-config | -V | --version) return 0 ;;
		esac
	done
	return 1
}

_main() {
	if [ "${1:0:1}" = '-' ]; then
		set -- postgres "$@"
	fi

	if [ "$1" = postgres ] && ! _pg_want_help "$@"; then
		docker_setup_env
		docker_create_db_directories
		if [ "$(id -u)" = 0 ]; then
			# Drop to postgres and run this script again; exec keeps the PID (1), so the stop signal
			# reaches the server. setpriv is util-linux's (no gosu needed).
			exec setpriv --reuid=postgres --regid=postgres --init-groups \
				env HOME=/var/lib/postgresql USER=postgres LOGNAME=postgres "${BASH_SOURCE[0]}" "$@"
		fi

		if [ -z "$DATABASE_ALREADY_EXISTS" ]; then
			docker_verify_minimum_env
			# Fail early when the init directory is not readable by this user.
			ls /docker-entrypoint-initdb.d/ >/dev/null
			docker_init_database_dir
			pg_setup_hba_conf
			# Init scripts that connect over TCP (e.g. psql -h localhost) find the password here.
			export PGPASSWORD="${PGPASSWORD:-$POSTGRES_PASSWORD}"
			docker_temp_server_start "$@"
			docker_setup_db
			docker_process_init_files /docker-entrypoint-initdb.d/*
			docker_temp_server_stop
			unset PGPASSWORD
			printf '\nPostgreSQL init process complete; ready for start up.\n\n'
		else
			printf '\nPostgreSQL Database directory appears to contain a database; Skipping initialization\n\n'
		fi
	fi

	exec "$@"
}

_main "$@"
