#!/usr/bin/env bash
# What `npm run bench` needs beyond the npm dependencies, on a Debian/Ubuntu machine: RabbitMQ
# (through ensure-rabbitmq.sh), Celery for Debian's python3 (the anchor of the async row) and
# rsvg-convert (renders the SVG charts to PNG without a browser). Installs only what is missing,
# so it is a fast no-op on a machine that has everything.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

bash scripts/ensure-rabbitmq.sh

missing=()
# Celery runs on Debian's interpreter: a python3 earlier on PATH (pyenv, venv) lacks the package.
/usr/bin/python3 -c 'import celery' >/dev/null 2>&1 || missing+=(python3-celery)
command -v rsvg-convert >/dev/null 2>&1 || missing+=(librsvg2-bin)
fc-list 2>/dev/null | grep -q 'DejaVu Sans' || missing+=(fonts-dejavu-core)

if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]} from apt"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# A vhost of its own, emptied on every run: the stacks under test use the default `fjord` names,
# which must not meet the queues of tests running against the same RabbitMQ at the same time.
export PATH="$PATH:/usr/sbin:/sbin"
vhost="${FN_BENCH_VHOST:-fjord-bench}"
as_root rabbitmqctl -q delete_vhost "$vhost" >/dev/null 2>&1 || true
as_root rabbitmqctl -q add_vhost "$vhost" >/dev/null
as_root rabbitmqctl -q set_permissions -p "$vhost" guest '.*' '.*' '.*' >/dev/null

# workerd (the isolate-runtime anchor) is installed here, not in package.json: its lock file
# entries for other platforms cannot be resolved from every registry mirror, and `npm ci` then
# refuses the whole lock file. Only the benchmark needs it.
WORKERD_VERSION="1.20261117.1"
if ! grep -qs "\"version\": \"$WORKERD_VERSION\"" bench/.deps/node_modules/workerd/package.json; then
  say "installing workerd@$WORKERD_VERSION into bench/.deps"
  mkdir -p bench/.deps
  npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
    --prefix bench/.deps "workerd@$WORKERD_VERSION" >/dev/null
fi
say "benchmark dependencies are ready"
