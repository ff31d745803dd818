#!/bin/sh
# AIWAH OS gateway entrypoint: fills the generated Kong config (gateway-*.yml, written by
# `cargo xtask gateway sync`) with this deployment's keys, then hands over to Kong's own entrypoint.
#
# Legacy HS256 keys are required. Opaque sb_ keys are optional: both SUPABASE_PUBLISHABLE_KEY and
# SUPABASE_SECRET_KEY (with the asymmetric JWTs they stand for) select gateway-opaque-keys.yml.
# The two AIWAH_* paths exist so tests can run this script with a stand-in for Kong.
set -eu

configs=${AIWAH_GATEWAY_CONFIGS:-/home/kong/aiwah}
kong_entrypoint=${AIWAH_KONG_ENTRYPOINT:-/entrypoint.sh}

fail() {
	echo "gateway-entrypoint.sh: $*" >&2
	exit 1
}

[ -n "${KONG_DECLARATIVE_CONFIG:-}" ] || fail "KONG_DECLARATIVE_CONFIG is not set: where should the config go?"

names="SUPABASE_ANON_KEY SUPABASE_SERVICE_KEY DASHBOARD_USERNAME DASHBOARD_PASSWORD"
publishable=${SUPABASE_PUBLISHABLE_KEY:-}
secret=${SUPABASE_SECRET_KEY:-}
if [ -n "$publishable" ] && [ -n "$secret" ]; then
	template="$configs/gateway-opaque-keys.yml"
	names="$names SUPABASE_PUBLISHABLE_KEY SUPABASE_SECRET_KEY ANON_KEY_ASYMMETRIC SERVICE_ROLE_KEY_ASYMMETRIC"
elif [ -z "$publishable" ] && [ -z "$secret" ]; then
	template="$configs/gateway-legacy-keys.yml"
else
	[ -n "$publishable" ] && given=SUPABASE_PUBLISHABLE_KEY missing=SUPABASE_SECRET_KEY || given=SUPABASE_SECRET_KEY missing=SUPABASE_PUBLISHABLE_KEY
	fail "$given is set but $missing is not: opaque keys come as a pair (set both, or neither for legacy keys only)"
fi

# Every value goes inside a JSON string and, for keys, a Lua string literal: refuse what would break out.
for name in $names; do
	value=$(printenv "$name" || true)
	[ -n "$value" ] || fail "$name is empty or not set"
	case "$value" in
	*[\"\'\\\$]* | *"
"*) fail "$name holds a quote, backslash, \$ or newline, which the config cannot carry" ;;
	esac
done

# RFC 8414 section 3.1: the metadata lives at /.well-known/oauth-authorization-server followed by the
# issuer's path (trailing slashes dropped).
metadata_path=/.well-known/oauth-authorization-server
if [ -n "${JWT_ISSUER:-}" ]; then
	case "$JWT_ISSUER" in
	http://* | https://*) ;;
	*) fail "JWT_ISSUER must be an http:// or https:// URL, not '$JWT_ISSUER'" ;;
	esac
	issuer=$JWT_ISSUER
	while [ "${issuer%/}" != "$issuer" ]; do issuer=${issuer%/}; done
	after_scheme=${issuer#*://}
	case "$after_scheme" in
	*/*) metadata_path="$metadata_path/${after_scheme#*/}" ;;
	esac
fi
WELL_KNOWN_OAUTH_PATH=$metadata_path
export WELL_KNOWN_OAUTH_PATH
names="$names WELL_KNOWN_OAUTH_PATH"

[ -r "$template" ] || fail "cannot read $template"

# The filled config holds every key: readable by Kong's user only.
umask 077
partial="$KONG_DECLARATIVE_CONFIG.partial"
awk -v names="$names" '
	BEGIN { count = split(names, name, " ") }
	{
		text = $0
		for (i = 1; i <= count; i++) {
			mark = "${" name[i] "}"
			done_part = ""
			while ((at = index(text, mark)) > 0) {
				done_part = done_part substr(text, 1, at - 1) ENVIRON[name[i]]
				text = substr(text, at + length(mark))
			}
			text = done_part text
		}
		print text
	}' "$template" >"$partial" || fail "cannot write $partial"

if grep -n '\${' "$partial" >&2; then
	rm -f "$partial"
	fail "placeholders above are left unfilled in $template"
fi
mv "$partial" "$KONG_DECLARATIVE_CONFIG"

exec "$kong_entrypoint" kong docker-start
