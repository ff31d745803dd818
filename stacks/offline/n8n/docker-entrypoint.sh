#!/bin/sh
# Entrypoint of the offline n8n image, with the official n8nio/n8n image's contract: the arguments are an
# n8n sub-command (`docker run IMAGE import:workflow --input=F`), and without any n8n starts. CA
# certificates mounted at /opt/custom-certificates are trusted too (Node then uses OpenSSL's CA
# directory, which c_rehash indexes).
set -e
certs=/opt/custom-certificates
if [ -d "$certs" ]; then
  echo "n8n entrypoint: trusting the CA certificates in $certs"
  export SSL_CERT_DIR="$certs" NODE_OPTIONS="--use-openssl-ca${NODE_OPTIONS:+ $NODE_OPTIONS}"
  c_rehash "$certs" >/dev/null || echo "n8n entrypoint: c_rehash $certs failed (a read-only mount needs its hash links made beforehand)" >&2
fi
exec n8n "$@"
