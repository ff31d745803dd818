#!/bin/sh
# Entrypoint of the offline n8n image, with the official n8nio/n8n image's contract:
# arguments are n8n sub-commands (`docker run IMAGE import:workflow --input=F`); none = `n8n` (start).
set -e
# Extra CA certificates mounted at /opt/custom-certificates are trusted, as in the official image.
if [ -d /opt/custom-certificates ]; then
  echo "Trusting custom certificates from /opt/custom-certificates."
  export NODE_OPTIONS="--use-openssl-ca ${NODE_OPTIONS:-}"
  export SSL_CERT_DIR=/opt/custom-certificates
  c_rehash /opt/custom-certificates || echo "warning: c_rehash /opt/custom-certificates failed (read-only mount?)" >&2
fi
if [ "$#" -gt 0 ]; then
  exec n8n "$@"
fi
exec n8n
