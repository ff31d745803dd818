# Recipe: base — Debian bookworm (minbase) root file system, imported with `docker import`.
# Sourced by stacks/offline/build.sh (which provides step/note/run_logged and RECIPE_* variables).
# shellcheck disable=SC2034  # read by build.sh
RECIPE_PARENT=

BASE_SUITE=bookworm
BASE_MIRROR=http://deb.debian.org/debian
# Only what later recipes and health checks need: TLS roots and curl (docker exec / HEALTHCHECK probes).
BASE_INCLUDE=ca-certificates,curl

base_cleanup() { # remove the work dir; unmount what a failed debootstrap may have left mounted
  local m
  for m in proc sys; do
    if mountpoint -q "$1/rootfs/$m" 2>/dev/null; then umount -R "$1/rootfs/$m" || true; fi
  done
  rm -rf --one-file-system "$1" || true
}

build_recipe() {
  ensure_host_pkg debootstrap debootstrap
  local work; work="$(mktemp -d /var/tmp/aiwah-base.XXXXXX)"
  # shellcheck disable=SC2064
  trap "base_cleanup '$work'" EXIT
  local root="$work/rootfs"
  mkdir -p "$AIWAH_OFFLINE_CACHE/debootstrap-debs"

  step "debootstrap --variant=minbase $BASE_SUITE (+ $BASE_INCLUDE)"
  run_logged debootstrap debootstrap --variant=minbase --include="$BASE_INCLUDE" \
    --cache-dir="$AIWAH_OFFLINE_CACHE/debootstrap-debs" "$BASE_SUITE" "$root" "$BASE_MIRROR"

  step "apt sources (bookworm, -updates, -security), no-recommends/no-docs config, policy-rc.d"
  # Owned by root and not group/other-writable, whoever checked the repository out with whatever umask.
  tar -C "$RECIPE_DIR/rootfs" --owner=0 --group=0 --mode=go-w -c . | tar -C "${root:?}" -x --no-same-owner
  rm -f "${root:?}/etc/apt/sources.list.d/"*

  step "apt-get upgrade from bookworm-updates and bookworm-security (in a chroot)"
  cp /etc/resolv.conf "${root:?}/etc/resolv.conf"
  mount -t proc proc "${root:?}/proc"
  run_logged "apt-get update (chroot)" chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  run_logged "apt-get upgrade (chroot)" chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get -y -q upgrade
  run_logged "apt-get clean (chroot)" chroot "$root" apt-get clean
  umount "${root:?}/proc"
  note "packages upgraded: $(grep -c '^Unpacking ' "$BUILD_LOG" || true)"

  step "strip docs, man pages, translations, caches and logs"
  find "${root:?}/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "${root:?}/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "${root:?}/usr/share/man/"* "${root:?}/usr/share/info/"* "${root:?}/usr/share/groff/"* \
         "${root:?}/usr/share/lintian/"* "${root:?}/usr/share/linda/"*
  find "${root:?}/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
  rm -rf "${root:?}/var/lib/apt/lists/"* "${root:?}/var/cache/apt/"*.bin "${root:?}/var/cache/apt/archives/"*.deb \
         "${root:?}/var/cache/debconf/"*-old "${root:?}/var/lib/dpkg/"*-old "${root:?}/tmp/"* "${root:?}/var/tmp/"*
  find "${root:?}/var/log" -type f -delete
  # The engine provides /dev, /proc, /sys, hostname, hosts and resolv.conf at run time.
  rm -rf "${root:?}/dev/"* "${root:?}/proc/"* "${root:?}/sys/"*
  : >"${root:?}/etc/resolv.conf"; : >"${root:?}/etc/hostname"
  note "root file system: $(du -sh --apparent-size "$root" | cut -f1)"

  step "docker import -> $RECIPE_TAG"
  tar -C "$root" --numeric-owner -c . | run_logged "docker import" docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV LANG=C.UTF-8' \
    -c 'CMD ["/bin/bash"]' \
    -c "LABEL aiwah.recipe=$RECIPE_NAME" \
    -c "LABEL aiwah.recipe-hash=$RECIPE_HASH" \
    -c "LABEL org.opencontainers.image.description=\"AIWAH offline base: Debian $BASE_SUITE minbase\"" \
    -m "aiwah-offline base ($BASE_SUITE minbase)" - "$RECIPE_TAG"
}
