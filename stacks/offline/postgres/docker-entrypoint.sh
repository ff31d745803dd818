#!/usr/bin/env bash
# aiwah-offline/postgres — entrypoint. It honours the interface of the official postgres image, which our
# compose files and init scripts (and anyone swapping in the official image) rely on:
#   POSTGRES_PASSWORD   the superuser's password; required on first start unless
#                       POSTGRES_HOST_AUTH_METHOD=trust
#   POSTGRES_USER       the superuser (default postgres); POSTGRES_DB the database to create (default: the user)
#   POSTGRES_INITDB_ARGS, POSTGRES_INITDB_WALDIR   extra initdb arguments, a separate WAL directory
#   POSTGRES_HOST_AUTH_METHOD   method for host connections from anywhere (default scram-sha-256)
#   NAME_FILE           instead of NAME (password, user, db, initdb args): read the value from that file
#   /docker-entrypoint-initdb.d/*   on first start only, in name order: *.sh run when executable and
#                       sourced otherwise (sourced ones may call docker_process_sql), *.sql and
#                       *.sql.gz/.xz/.zst fed to psql, anything else ignored
# First start = $PGDATA holds no PG_VERSION. The init scripts run against a temporary server listening on
# the Unix socket only, so nothing reaches it over TCP before init is done. The real server is exec'd as
# user postgres and stays PID 1, so `docker stop` (SIGINT, see the Dockerfile) reaches it directly.
# The two progress lines "PostgreSQL init process complete" / "Skipping initialization" are the official
# image's; tools and our tests wait for them.
set -o errexit -o errtrace -o pipefail

INIT_DIR=/docker-entrypoint-initdb.d
SOCKET_DIR=/var/run/postgresql

die() {
	printf 'postgres entrypoint: %s\n' "$*" >&2
	exit 1
}

# read_setting NAME [DEFAULT]: export NAME from $NAME, or from the file $NAME_FILE names, or DEFAULT.
read_setting() {
	local name=$1 fallback=${2:-} from_file="${1}_FILE"
	local direct="${!name:-}" path="${!from_file:-}"
	[ -n "$direct" ] && [ -n "$path" ] && die "$name and $from_file are both set: give only one"
	if [ -n "$path" ]; then
		direct="$(<"$path")" || die "$from_file=$path cannot be read"
	fi
	export "$name=${direct:-$fallback}"
	unset "$from_file"
}

# True when the arguments only ask postgres for help or its version (then nothing is initialised).
asks_for_information() {
	local arg
	for arg in "$@"; do
		case $arg in -'?' | --help | --describe-config | -V | --version) return 0 ;; esac
	done
	return 1
}

# Create the data, socket and WAL directories; as root, also hand them to postgres.
prepare_directories() {
	local dir
	mkdir -p "$PGDATA" && chmod 0700 "$PGDATA" || true
	mkdir -p "$SOCKET_DIR" && chmod 3775 "$SOCKET_DIR" || true
	if [ -n "${POSTGRES_INITDB_WALDIR:-}" ]; then
		mkdir -p "$POSTGRES_INITDB_WALDIR" && chmod 0700 "$POSTGRES_INITDB_WALDIR"
	fi
	if [ "$(id -u)" = 0 ]; then
		for dir in "$PGDATA" "$SOCKET_DIR" ${POSTGRES_INITDB_WALDIR:+"$POSTGRES_INITDB_WALDIR"}; do
			find "$dir" ! -user postgres -exec chown postgres:postgres {} +
		done
	fi
}

# psql as the superuser over the Unix socket, stopping at the first error. Init scripts that are sourced
# use it too (the official image offers the same helper under this name).
docker_process_sql() {
	local target=()
	if [ -n "$POSTGRES_DB" ]; then target=(--dbname "$POSTGRES_DB"); fi
	PGHOST='' PGHOSTADDR='' psql --set ON_ERROR_STOP=1 --no-psqlrc --no-password --username "$POSTGRES_USER" "${target[@]}" "$@"
}

create_cluster() {
	if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
		die "PGDATA ($PGDATA) holds no database yet and POSTGRES_PASSWORD is empty: set the superuser's password with POSTGRES_PASSWORD, or POSTGRES_HOST_AUTH_METHOD=trust to let every connection in without a password (not recommended)"
	fi
	if [ "$POSTGRES_HOST_AUTH_METHOD" = trust ]; then
		echo "postgres entrypoint: WARNING: POSTGRES_HOST_AUTH_METHOD=trust lets every host connection in without a password" >&2
	fi
	ls "$INIT_DIR/" >/dev/null || die "$INIT_DIR is not readable by $(id -un)"
	local initdb=(initdb --username="$POSTGRES_USER" --auth-local=trust --auth-host="$POSTGRES_HOST_AUTH_METHOD")
	if [ -n "${POSTGRES_INITDB_WALDIR:-}" ]; then initdb+=(--waldir="$POSTGRES_INITDB_WALDIR"); fi
	# POSTGRES_INITDB_ARGS is one string of shell words (e.g. --locale=C --data-checksums); the password
	# reaches initdb on its standard input, never on a command line.
	if [ -n "$POSTGRES_PASSWORD" ]; then
		eval '"${initdb[@]}"' "$POSTGRES_INITDB_ARGS" --pwfile=/dev/stdin <<<"$POSTGRES_PASSWORD"
	else
		eval '"${initdb[@]}"' "$POSTGRES_INITDB_ARGS"
	fi
	printf '\n# aiwah-offline entrypoint: host connections from any address\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"
}

# start_socket_only_server [SERVER ARGS...]: the server's own arguments (e.g. -c config_file=...) apply.
start_socket_only_server() {
	local options
	options="$(printf '%q ' "$@" -c listen_addresses= -p "${PGPORT:-5432}")"
	PGUSER="${PGUSER:-$POSTGRES_USER}" pg_ctl --pgdata="$PGDATA" --options="$options" --wait start
}

stop_socket_only_server() {
	PGUSER="${PGUSER:-postgres}" pg_ctl --pgdata="$PGDATA" --mode=fast --wait stop
}

create_database() {
	local found
	found="$(POSTGRES_DB='' docker_process_sql --dbname postgres --tuples-only --set name="$POSTGRES_DB" <<<"select 1 from pg_database where datname = :'name'")"
	if [ -z "${found// /}" ]; then
		POSTGRES_DB='' docker_process_sql --dbname postgres --set name="$POSTGRES_DB" <<<'create database :"name"'
	fi
}

# sql_through TOOL FILE: decompress FILE with TOOL into psql.
sql_through() {
	command -v "$1" >/dev/null || die "$2 needs $1, which this image lacks"
	"$1" --decompress --stdout "$2" | docker_process_sql
}

run_init_files() {
	local file
	for file in "$INIT_DIR"/*; do
		[ -e "$file" ] || continue
		case $file in
			*.sh)
				if [ -x "$file" ]; then
					echo "$0: running $file"
					"$file"
				else
					echo "$0: sourcing $file"
					# shellcheck source=/dev/null
					. "$file"
				fi
				;;
			*.sql) echo "$0: running $file" && docker_process_sql --file "$file" ;;
			*.sql.gz) echo "$0: running $file" && sql_through gzip "$file" ;;
			*.sql.xz) echo "$0: running $file" && sql_through xz "$file" ;;
			*.sql.zst) echo "$0: running $file" && sql_through zstd "$file" ;;
			*) echo "$0: ignoring $file" ;;
		esac
	done
}

main() {
	# `docker run IMAGE -c x=y` means: the server, with these options.
	case ${1:-} in -*) set -- postgres "$@" ;; esac
	if [ "${1:-}" != postgres ] || asks_for_information "$@"; then
		exec "$@"
	fi

	read_setting POSTGRES_PASSWORD
	read_setting POSTGRES_USER postgres
	read_setting POSTGRES_DB "$POSTGRES_USER"
	read_setting POSTGRES_INITDB_ARGS
	export POSTGRES_HOST_AUTH_METHOD="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"

	prepare_directories
	if [ "$(id -u)" = 0 ]; then
		# Again as postgres (setpriv from util-linux); exec keeps PID 1.
		exec setpriv --reuid=postgres --regid=postgres --init-groups \
			env HOME=/var/lib/postgresql USER=postgres LOGNAME=postgres "${BASH_SOURCE[0]}" "$@"
	fi

	if [ -s "$PGDATA/PG_VERSION" ]; then
		printf '\nPostgreSQL Database directory appears to contain a database; Skipping initialization\n\n'
		exec "$@"
	fi
	create_cluster
	# Init scripts that connect over TCP (psql -h localhost) find the password here.
	export PGPASSWORD="${PGPASSWORD:-$POSTGRES_PASSWORD}"
	shift # `postgres`; the rest are server options the temporary server gets too
	start_socket_only_server "$@"
	create_database
	run_init_files
	stop_socket_only_server
	unset PGPASSWORD
	printf '\nPostgreSQL init process complete; ready for start up.\n\n'
	exec postgres "$@"
}

main "$@"
