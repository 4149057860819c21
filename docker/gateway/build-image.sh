#!/usr/bin/env bash
# Builds Fjord's own images from this repository and prints the tag on stdout:
#
#   bash docker/gateway/build-image.sh            # fjord/gateway:<version>-<hash>, also :latest
#   bash docker/gateway/build-image.sh node       # fjord/node:<version>-<hash>, also :latest
#
# fjord/gateway (docker/gateway/Dockerfile) holds everything: the sources, the two example
# functions `fn up` deploys, and node_modules without the dev-only packages of package-lock.json,
# sent as a tar stream of just those files. Dependencies come from the host's node_modules (`npm
# ci` first), so the build needs no registry and no network: the robust way for air-gapped hosts,
# and the only one on machines without a registry. Its base is FJORD_BASE_IMAGE when set
# (node:24-slim on hosts that can pull), else Fjord's offline base image (docker/base/
# build-offline.sh, this host's own Node binary). fjord/node (docker/node/Dockerfile) is the
# gateway image with the node's entrypoint and command: one more small layer.
#
# The tag names a hash of every input, so an unchanged tree is never rebuilt (a fast no-op), and
# `:latest` follows the newest build; older builds of the same repository are untagged.
set -euo pipefail
ROLE="${1:-gateway}"
case "$ROLE" in
  gateway | node) ;;
  *)
    echo "usage: build-image.sh [gateway|node]" >&2
    exit 2
    ;;
esac
cd "$(dirname "$0")/../.."
SELF="$PWD/docker/gateway/build-image.sh"
REPO="${FJORD_IMAGE_REPO:-fjord}/$ROLE"
LOCKS="${TMPDIR:-/tmp}"
say() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# Sets FROM to the image `resolve` prints, holding a shared lock on `lockfile` (fd 8) until this
# script ends. The script that makes that image replaces it, and removes the old one, only under
# an exclusive lock on the same file: so the image this build starts FROM stays while it builds.
# (Not in a $(subshell): the lock would end with it.)
hold_image() {
  local lockfile="$1" resolve="$2"
  exec 8>"$lockfile"
  for _ in 1 2 3 4 5; do
    FROM="$($resolve)"
    flock --shared 8
    as_root docker image inspect "$FROM" >/dev/null 2>&1 && return
    flock --unlock 8
  done
  echo "error: $FROM kept disappearing while this build waited for it" >&2
  exit 1
}

VERSION="$(node -p 'require("./package.json").version')"
if [ "$ROLE" = node ]; then
  hold_image "$LOCKS/fjord-gateway-image.lock" "bash $SELF gateway"
  FILES=(docker/node/Dockerfile)
else
  [ -d node_modules ] || {
    echo "error: node_modules is missing: run npm ci in $PWD first" >&2
    exit 1
  }
  if [ -n "${FJORD_BASE_IMAGE:-}" ]; then
    FROM="$FJORD_BASE_IMAGE"
  else
    hold_image "$LOCKS/fjord-base-image.lock" "bash docker/base/build-offline.sh"
  fi
  # What the gateway and the node load at run time. Tests, benchmarks and docs stay out.
  FILES=(package.json bin cli core gateway runtime server adapters docker/base docker/shim
    docker/gateway docker/node functions/hello functions/greet-event)
  # Production packages: lockfile entries not marked dev, present on disk, and not inside a kept
  # package's own folder (tar would add those twice).
  mapfile -t -O "${#FILES[@]}" FILES < <(node -e '
    const { existsSync } = require("node:fs");
    const lock = require(process.argv[1]);
    const kept = Object.entries(lock.packages)
      .filter(([path, entry]) => path.startsWith("node_modules/") && !entry.dev && existsSync(path))
      .map(([path]) => path)
      .sort();
    const top = kept.filter((path) => !kept.some((other) => path.startsWith(other + "/")));
    console.log(top.join("\n"));
  ' "$PWD/package-lock.json")
fi

# Cheap fingerprints, as build-offline.sh takes them: path, size and mtime of every file.
HASH="$(
  {
    echo "$FROM $ROLE"
    find "${FILES[@]}" -type f -printf '%p %s %T@\n' | LC_ALL=C sort
  } | sha256sum | cut -c1-12
)"
TAG="$REPO:$VERSION-$HASH"
image_present() { as_root docker image inspect "$TAG" >/dev/null 2>&1; }

# Several builds may ask at once: one builds, the others find the image.
exec 9>"$LOCKS/fjord-$ROLE-image.lock"
flock 9
if ! image_present; then
  say "building $TAG FROM $FROM"
  # app/ and deps/ are separate trees, so the gateway's Dockerfile copies the dependencies in a
  # layer of their own, which stays cached while only the sources change.
  tar --create --owner=0 --group=0 --numeric-owner --sort=name \
    --transform 's,^,app/,' --transform 's,^app/node_modules/,deps/node_modules/,' \
    "${FILES[@]}" |
    as_root docker build --quiet --file "app/docker/$ROLE/Dockerfile" \
      --build-arg "FROM_IMAGE=$FROM" --label "fjord.from=$FROM" --tag "$TAG" - >/dev/null
  say "built $TAG in ${SECONDS}s"
fi
as_root docker tag "$TAG" "$REPO:latest"
for old in $(as_root docker image ls --format '{{.Repository}}:{{.Tag}}' "$REPO"); do
  case "$old" in
    "$TAG" | "$REPO:latest") ;;
    *) as_root docker image rm "$old" >/dev/null 2>&1 || true ;;
  esac
done
echo "$TAG"
