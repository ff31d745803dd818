#!/bin/sh
# Entrypoint of the offline node image, as in the official node image (docker-library/node):
# run the command with node when the first argument is an option (`-e ...`), is not a command on
# PATH, or is a plain non-executable file (`docker run IMAGE app.js`); otherwise run it as given.
set -e
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
