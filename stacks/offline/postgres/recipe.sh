# Recipe: postgres — Debian trixie's postgresql-17 on base-trixie, with an entrypoint that follows the
# official postgres image's contract (POSTGRES_PASSWORD/USER/DB, PGDATA, /docker-entrypoint-initdb.d).
# Sourced by stacks/offline/build.sh (which provides step/note/run_logged and RECIPE_* variables).
# shellcheck disable=SC2034  # read by build.sh
RECIPE_PARENT=base-trixie

build_recipe() {
  step "docker build FROM $PARENT_TAG: postgresql-17 (no recommends) + entrypoint"
  docker_build_dir "$RECIPE_DIR" "$RECIPE_TAG" --build-arg "BASE=$PARENT_TAG"
  note "$(docker run --rm --entrypoint postgres "$RECIPE_TAG" --version)"
}
