#!/bin/sh
# Entrypoint of the offline node image, with the official node image's behaviour: `docker run IMAGE ARGS`
# hands ARGS to node when they cannot be a command of their own, else runs them as given. ARGS go to node
# when the first one is empty or missing (node's REPL), is an option (`-e ...`), names no command on PATH,
# or names a file that is not executable (`docker run IMAGE app.js`).
set -e

wants_node() {
	case "$1" in
		'' | -*) return 0 ;;
	esac
	command -v "$1" >/dev/null 2>&1 || return 0
	[ -f "$1" ] && [ ! -x "$1" ]
}

if wants_node "${1:-}"; then
	set -- node "$@"
fi
exec "$@"
