# Recipe: base-trixie — the `base` image moved to Debian trixie (13) with one apt full-upgrade.
# Only the PostgreSQL images stand on it: trixie ships postgresql-17 (the pinned major of
# supabase/postgres:17.6.1.136 and postgres:17.6); bookworm ships only 15. Everything else stays on `base`.
# Sourced by stacks/offline/build.sh (which provides step/note/run_logged and RECIPE_* variables).
# shellcheck disable=SC2034  # read by build.sh
RECIPE_PARENT=base

build_recipe() {
  step "docker build FROM $PARENT_TAG: apt sources -> trixie, full-upgrade"
  docker_build_dir "$RECIPE_DIR" "$RECIPE_TAG" --build-arg "BASE=$PARENT_TAG"
  note "$(docker run --rm --entrypoint cat "$RECIPE_TAG" /etc/debian_version | sed 's/^/debian_version /')"
}
