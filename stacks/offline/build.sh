#!/usr/bin/env bash
# Build AIWAH offline substitute images without a container registry.
#
#   stacks/offline/build.sh NAME...      build (or reuse) the named images; NAME = base|postgres|placeholder|n8n|all
#   stacks/offline/build.sh --tag NAME   print the image tag NAME would get (no build, no engine needed)
#   stacks/offline/build.sh --list       list recipes with their tags and whether they are built
#
# Each recipe lives in stacks/offline/NAME/ (recipe.sh + the files it uses). Its image is tagged
# aiwah-offline/NAME:HASH, HASH = first 12 hex of sha256 over the recipe folder's files (path,
# executable bit, content) plus the parent recipe's hash, and carries LABEL aiwah.recipe=NAME, aiwah.recipe-hash=HASH.
# An existing image with that tag (or those labels) is reused: "cached".
set -euo pipefail

OFFLINE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RECIPES=(base base-trixie postgres placeholder n8n supabase-postgres node)
IMAGE_REPO_PREFIX="${AIWAH_OFFLINE_PREFIX:-aiwah-offline}"
# Host-side caches (downloads, npm installs, build logs); never inside the repository.
export AIWAH_OFFLINE_CACHE="${AIWAH_OFFLINE_CACHE:-/var/cache/aiwah-offline}"
# The engine may be 20.10 with a newer client that has no buildx: use the classic builder.
export DOCKER_BUILDKIT=0

die() { printf 'build.sh: ERROR: %s\n' "$*" >&2; exit 1; }

is_recipe() { local r; for r in "${RECIPES[@]}"; do [ "$r" = "$1" ] && return 0; done; return 1; }

# recipe_parent NAME -> prints the parent recipe name (empty for none), read from NAME/recipe.sh
recipe_parent() {
  sed -n 's/^RECIPE_PARENT=\(.*\)$/\1/p' "$OFFLINE_DIR/$1/recipe.sh" | tr -d "\"' " | head -n1
}

# recipe_hash NAME -> 12 hex chars
recipe_hash() {
  local name=$1 parent
  parent="$(recipe_parent "$name")"
  {
    if [ -n "$parent" ]; then printf 'parent %s %s\n' "$parent" "$(recipe_hash "$parent")"; fi
    (cd "$OFFLINE_DIR/$name" && find . -type f -print0 | LC_ALL=C sort -z |
      while IFS= read -r -d '' f; do
        # Only the executable bit counts (git keeps no other mode; umask differs between machines).
        printf '%s %s %s\n' "$([ -x "$f" ] && echo x || echo -)" "$(sha256sum <"$f" | cut -c1-64)" "$f"
      done)
  } | sha256sum | cut -c1-12
}

recipe_tag() { printf '%s/%s:%s\n' "$IMAGE_REPO_PREFIX" "$1" "$(recipe_hash "$1")"; }

image_present() { docker image inspect "$1" >/dev/null 2>&1; }

# Progress helpers available to recipes.
_T0=0; _STEP=0; _NAME=""
step() { _STEP=$((_STEP + 1)); printf '[build %s] step %d: %s (+%ds)\n' "$_NAME" "$_STEP" "$*" "$(( $(date +%s) - _T0 ))"; }
note() { printf '[build %s]   %s\n' "$_NAME" "$*"; }
# run_logged DESC CMD... : run a noisy command with output in the build log; on failure show its tail.
run_logged() {
  local desc=$1; shift
  if ! "$@" >>"$BUILD_LOG" 2>&1; then
    printf '[build %s] FAILED: %s; last lines of %s:\n' "$_NAME" "$desc" "$BUILD_LOG" >&2
    tail -n 40 "$BUILD_LOG" >&2
    exit 1
  fi
}
# docker_build_dir DIR TAG [docker build args...]: classic docker build with the recipe labels.
docker_build_dir() {
  local dir=$1 tag=$2; shift 2
  run_logged "docker build $dir" docker build --force-rm \
    --label "aiwah.recipe=$RECIPE_NAME" --label "aiwah.recipe-hash=$RECIPE_HASH" \
    -t "$tag" "$@" "$dir"
}
ensure_host_pkg() { # ensure_host_pkg COMMAND DEBIAN_PACKAGE
  command -v "$1" >/dev/null 2>&1 && return 0
  note "host: installing $2 (for $1)"
  run_logged "apt-get update" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  run_logged "apt-get install $2" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$2"
}

build_one() {
  local name=$1 parent hash tag found lockfd
  parent="$(recipe_parent "$name")"
  if [ -n "$parent" ]; then build_one "$parent"; fi
  hash="$(recipe_hash "$name")"
  tag="$IMAGE_REPO_PREFIX/$name:$hash"
  mkdir -p "$AIWAH_OFFLINE_CACHE/logs"
  # One build per recipe at a time (two shells, or two parallel suites).
  exec {lockfd}>"$AIWAH_OFFLINE_CACHE/.lock-$name"
  flock "$lockfd"
  if image_present "$tag"; then
    printf '[build %s] cached %s\n' "$name" "$tag"
    exec {lockfd}>&-; return 0
  fi
  found="$(docker images -q --filter "label=aiwah.recipe=$name" --filter "label=aiwah.recipe-hash=$hash" | head -n1)"
  if [ -n "$found" ]; then
    docker tag "$found" "$tag"
    printf '[build %s] cached %s (retagged image %s)\n' "$name" "$tag" "$found"
    exec {lockfd}>&-; return 0
  fi
  (
    _NAME=$name; _T0=$(date +%s); _STEP=0
    RECIPE_NAME=$name RECIPE_HASH=$hash RECIPE_TAG=$tag RECIPE_DIR="$OFFLINE_DIR/$name"
    PARENT_TAG=""; [ -n "$parent" ] && PARENT_TAG="$(recipe_tag "$parent")"
    BUILD_LOG="$AIWAH_OFFLINE_CACHE/logs/$name-$hash.log"; : >"$BUILD_LOG"
    export RECIPE_NAME RECIPE_HASH RECIPE_TAG RECIPE_DIR PARENT_TAG BUILD_LOG
    printf '[build %s] building %s (log %s)\n' "$name" "$tag" "$BUILD_LOG"
    # shellcheck source=/dev/null
    . "$RECIPE_DIR/recipe.sh"
    build_recipe
    image_present "$tag" || die "recipe $name finished but image $tag does not exist"
    printf '[build %s] built %s in %ds, size %s\n' "$name" "$tag" "$(( $(date +%s) - _T0 ))" \
      "$(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1000/1000}')"
  )
  exec {lockfd}>&-
}

main() {
  [ $# -ge 1 ] || die "usage: build.sh NAME... | --tag NAME | --list   (NAME: ${RECIPES[*]} all)"
  case "$1" in
    --tag)
      if [ $# -ne 2 ] || ! is_recipe "$2"; then die "usage: build.sh --tag NAME (NAME: ${RECIPES[*]})"; fi
      recipe_tag "$2"; return ;;
    --list)
      local r t
      for r in "${RECIPES[@]}"; do
        t="$(recipe_tag "$r")"
        if docker image inspect "$t" >/dev/null 2>&1; then printf '%-40s built\n' "$t"; else printf '%-40s not built\n' "$t"; fi
      done; return ;;
  esac
  local names=() n
  for n in "$@"; do
    if [ "$n" = all ]; then names+=("${RECIPES[@]}")
    else is_recipe "$n" || die "unknown recipe '$n' (known: ${RECIPES[*]} all)"; names+=("$n"); fi
  done
  docker info >/dev/null 2>&1 || die "no Docker engine answers 'docker info': run stacks/offline/engine.sh first"
  mkdir -p "$AIWAH_OFFLINE_CACHE"
  for n in "${names[@]}"; do build_one "$n"; done
}

main "$@"
