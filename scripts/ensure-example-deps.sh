#!/usr/bin/env bash
# Installs the npm dependencies of the example functions that have their own (functions/*/
# package-lock.json, such as thumbnail's sharp), so they bundle and type-check from a fresh clone
# as `fn deploy` would see them after its own install. A fast no-op when they are there.
set -euo pipefail
cd "$(dirname "$0")/../functions"
say() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }

for lock in */package-lock.json; do
  [ -e "$lock" ] || continue
  dir="$(dirname "$lock")"
  # npm ci writes this file last: present and newer than the lock file means installed.
  if [ "$dir/node_modules/.package-lock.json" -nt "$lock" ]; then
    say "functions/$dir dependencies are installed"
    continue
  fi
  say "installing functions/$dir dependencies (npm ci --omit=dev)"
  (cd "$dir" && npm ci --omit=dev --no-audit --no-fund --loglevel=error)
done
