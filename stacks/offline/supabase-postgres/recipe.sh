# Recipe: supabase-postgres — a substitute for supabase/postgres: Debian trixie's postgresql-17 (parent recipe
# `postgres`, whose entrypoint follows the official postgres image) plus our init runner and SQL,
# postgresql.conf / pg_hba.conf / pg_ident.conf and image environment (POSTGRES_USER=supabase_admin, ...).
# Sourced by stacks/offline/build.sh (which provides step/note/run_logged and RECIPE_* variables).
# shellcheck disable=SC2034  # read by build.sh
RECIPE_PARENT=postgres

build_recipe() {
  step "docker build FROM $PARENT_TAG: locales + Debian extensions for 17, AIWAH init files and config"
  docker_build_dir "$RECIPE_DIR" "$RECIPE_TAG" --build-arg "BASE=$PARENT_TAG"
  note "$(docker run --rm --entrypoint postgres "$RECIPE_TAG" --version)"
  note "init files: $(docker run --rm --entrypoint sh "$RECIPE_TAG" -c \
    'ls /docker-entrypoint-initdb.d/init-scripts | wc -l; ls /docker-entrypoint-initdb.d/migrations | wc -l' |
    paste -sd' ' | awk '{print $1 " init-scripts, " $2 " migrations"}')"
}
