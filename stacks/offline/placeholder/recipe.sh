# Recipe: placeholder — an inert HTTP 503 responder (perl-base script) on the base image.
# Sourced by stacks/offline/build.sh (which provides step/note/run_logged and RECIPE_* variables).
# shellcheck disable=SC2034  # read by build.sh
RECIPE_PARENT=base

build_recipe() {
  step "docker build FROM $PARENT_TAG: placeholder script, healthcheck"
  docker_build_dir "$RECIPE_DIR" "$RECIPE_TAG" --build-arg "BASE=$PARENT_TAG"
}
