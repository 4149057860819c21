#!/usr/bin/env bash
# Builds a container function's own image, without a registry: the Dockerfile in the function
# folder, `FROM ${BASE_IMAGE}` (the node's base image, built offline when missing), with the
# folder as build context. Install the function's dependencies on the host first (`npm ci` in the
# folder): native addons then come from the host and the image needs no network. Prints the tag,
# `fjord-fn/NAME:<hash of the base image and the folder's files>`, to set as "image" in fn.json.
#
# `fn deploy` does all of this itself (and uploads the image to the gateway, from where nodes
# load it); this script is for nodes that run a hand-built image without a gateway to load from.
#
#   bash docker/function/build-image.sh functions/thumbnail [NAME]
set -euo pipefail
DIR="$(cd "${1:?usage: build-image.sh FUNCTION_DIR [NAME]}" && pwd)"
NAME="${2:-$(basename "$DIR")}"
HERE="$(cd "$(dirname "$0")" && pwd)"
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

[ -f "$DIR/Dockerfile" ] || { echo "error: $DIR has no Dockerfile (FROM \${BASE_IMAGE})" >&2; exit 1; }
BASE="$(bash "$HERE/../base/build-offline.sh")"
HASH="$(
  {
    echo "$BASE"
    (cd "$DIR" && find . -type f ! -path './.git/*' | LC_ALL=C sort | xargs -d '\n' sha256sum)
  } | sha256sum | cut -c1-12
)"
TAG="fjord-fn/$NAME:$HASH"
if ! as_root docker image inspect "$TAG" >/dev/null 2>&1; then
  as_root docker build --quiet --build-arg "BASE_IMAGE=$BASE" --label "fjord.base=$BASE" \
    -t "$TAG" "$DIR" >/dev/null
fi
echo "$TAG"
