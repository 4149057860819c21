#!/usr/bin/env bash
# Builds Fjord's container base image without a registry: the host's own Node.js binary, the
# shared libraries it links (ldd), a POSIX shell (child_process with `shell: true` needs one, as on
# node:24-slim), the host's CA bundle and the in-container shim, tarred as a root filesystem and
# piped into `docker import`. Prints the image tag on stdout.
#
# The tag names a hash of every input (`fjord/node-base:24-<hash>`), so a changed shim or a new
# Node build makes a new image and an unchanged one is never rebuilt: the script is a fast no-op
# when the image is present. `--print-tag` prints the tag without building anything.
#
# After moving to a new tag, this checkout untags only its own previous image, and only when no
# other checkout still uses it (own-images.sh): other checkouts share the Docker engine.
#
# Environment: FJORD_NODE (node binary; default: `node` on PATH), FJORD_BASE_REPO (default
# fjord/node-base), FJORD_BASE_STATE_DIR (see own-images.sh).
set -euo pipefail
cd "$(dirname "$0")"
BASE_DIR="$PWD"
SHIM_DIR="$(cd ../shim && pwd)"
TREE="$(cd ../.. && pwd -P)"
# shellcheck source=own-images.sh
source "$BASE_DIR/own-images.sh"
REPO="${FJORD_BASE_REPO:-fjord/node-base}"
NODE_BIN="$(readlink -f "${FJORD_NODE:-$(command -v node)}")"
SHELL_BIN="$(readlink -f /bin/sh)"
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
COMPILE_CACHE=/opt/fjord/compile-cache
say() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

version="$("$NODE_BIN" --version)" # v24.21.0
major="${version#v}"
major="${major%%.*}"
if [ "$major" -lt 24 ]; then
  echo "error: $NODE_BIN is Node $version; the base image needs Node 24 or later (set FJORD_NODE)" >&2
  exit 1
fi

# Shared libraries as ldd resolves them: "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)"
# and the loader as "/lib64/ld-linux-x86-64.so.2 (0x...)".
libraries() { ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'; }
mapfile -t LIBS < <({ libraries "$NODE_BIN"; libraries "$SHELL_BIN"; } | sort -u)

# Cheap fingerprints instead of hashing 100 MB: version, size and mtime of each binary file, and
# the full content of the small files this script writes into the image.
inputs_hash() {
  {
    echo "$version"
    stat -L -c '%n %s %Y' "$NODE_BIN" "$SHELL_BIN" "${LIBS[@]}"
    [ -f "$CA_BUNDLE" ] && sha256sum "$CA_BUNDLE"
    sha256sum "$BASE_DIR/build-offline.sh"
    (cd "$SHIM_DIR" && find . -type f \( -name '*.mjs' -o -name '*.mts' \) | LC_ALL=C sort | xargs sha256sum)
  } | sha256sum | cut -c1-12
}
TAG="$REPO:$major-$(inputs_hash)"

if [ "${1:-}" = "--print-tag" ]; then
  echo "$TAG"
  exit 0
fi

image_present() { as_root docker image inspect "$TAG" >/dev/null 2>&1; }
# Records the tag this checkout uses and untags the one it used before, unless another checkout
# still uses that one (a container using it keeps it until the container is gone).
use_tag() {
  local previous
  previous="$(record_image "$TREE" "$TAG")"
  if [ -n "$previous" ] && [ "$previous" != "$TAG" ] && ! used_elsewhere "$TREE" "$previous"; then
    as_root docker image rm "$previous" >/dev/null 2>&1 || true
  fi
  echo "$TAG"
}
# Several test files or nodes may ask at once: one builds, the others find the image. The lock
# also covers the fast path: a checkout recording a tag must not race another deleting it.
exec 9>"${TMPDIR:-/tmp}/fjord-base-image.lock"
flock 9
if image_present; then
  use_tag
  exit 0
fi

say "building $TAG offline from $NODE_BIN ($version)"
ROOT="$(mktemp -d "${TMPDIR:-/tmp}/fjord-rootfs.XXXXXX")"
trap 'rm -rf "$ROOT"' EXIT

mkdir -p "$ROOT"/{usr/local/bin,bin,etc/ssl/certs,tmp,home/node,app,opt/fjord/shim,opt/fjord/compile-cache,run/fjord,proc,sys,dev}
cp "$NODE_BIN" "$ROOT/usr/local/bin/node"
cp "$SHELL_BIN" "$ROOT/bin/sh"
for lib in "${LIBS[@]}"; do
  mkdir -p "$ROOT$(dirname "$lib")"
  cp -L "$lib" "$ROOT$lib"
done
# On merged-/usr hosts ldd names /lib/...; the loader path baked into binaries is /lib64/....
# Both are real directories here, which docker import accepts.
[ -f "$CA_BUNDLE" ] && cp "$CA_BUNDLE" "$ROOT$CA_BUNDLE"
cp "$SHIM_DIR"/*.mjs "$SHIM_DIR"/*.mts "$ROOT/opt/fjord/shim/"

# The same user as node:24-slim, so both images run functions as uid 1000.
cat >"$ROOT/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/usr/sbin/nologin
node:x:1000:1000::/home/node:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat >"$ROOT/etc/group" <<'EOF'
root:x:0:
node:x:1000:
nogroup:x:65534:
EOF
echo 'hosts: files dns' >"$ROOT/etc/nsswitch.conf"

chmod 1777 "$ROOT/tmp"
chmod -R a+rX "$ROOT"
as_root chown -R 0:0 "$ROOT"
as_root chown 1000:1000 "$ROOT/home/node"

# Node's compile cache of the shim, written by this very Node binary running the shim once in the
# new root filesystem as uid 1000 (the cache directory is per uid): every container then starts
# the shim from cached V8 code and cached type-stripped .mts instead of compiling and stripping
# them (about a third of the shim's start-up CPU). Read-only at run time; Node checks each entry
# against the file's content, so a stale entry is only a miss.
as_root chown 1000:1000 "$ROOT$COMPILE_CACHE"
# A root filesystem under a noexec TMPDIR cannot run its Node: the image then works without the
# cache, only slower to start (test/container/shim-start.test.ts fails on it).
CHROOT="$(PATH="$PATH:/usr/sbin:/sbin" command -v chroot)"
if ! as_root env -i NODE_COMPILE_CACHE="$COMPILE_CACHE" NODE_ENV=production \
  FJORD_SOCKET=/tmp/warm.sock "$CHROOT" --userspec=1000:1000 "$ROOT" \
  /usr/local/bin/node /opt/fjord/shim/main.mjs --warm-compile-cache; then
  say "warning: the shim's compile cache was not written; containers start without it"
fi
as_root rm -f "$ROOT/tmp/warm.sock"
as_root chown -R 0:0 "$ROOT$COMPILE_CACHE"
as_root chmod -R a+rX "$ROOT$COMPILE_CACHE"

as_root tar --numeric-owner -C "$ROOT" -c . | as_root docker import \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  --change "ENV NODE_EXTRA_CA_CERTS=$CA_BUNDLE" \
  --change 'ENV NODE_ENV=production' \
  --change "ENV NODE_COMPILE_CACHE=$COMPILE_CACHE" \
  --change 'USER 1000:1000' \
  --change 'WORKDIR /app' \
  --change 'LABEL fjord.base=offline' \
  --change 'ENTRYPOINT ["/usr/local/bin/node", "/opt/fjord/shim/main.mjs"]' \
  - "$TAG" >/dev/null
say "built $TAG in ${SECONDS}s"
use_tag
