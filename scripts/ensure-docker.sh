#!/usr/bin/env bash
# Makes sure a local Docker engine answers on this Debian/Ubuntu machine: installs `docker.io`
# from apt when dockerd is missing, starts dockerd in the background when it is not running,
# waits until it answers, then builds Fjord's container base image offline when it is missing.
# A fast no-op when everything is there already, so tests and CI can call it every time.
set -euo pipefail
cd "$(dirname "$0")/.."

DEADLINE_SECONDS="${FN_DOCKER_START_TIMEOUT:-60}"
LOG_FILE="${FN_DOCKERD_LOG:-/var/log/dockerd.log}"
say() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
engine_answers() { as_root docker info >/dev/null 2>&1; }

# dockerd lives in /usr/sbin, which is not on every user's PATH.
export PATH="$PATH:/usr/sbin:/sbin"

if ! command -v dockerd >/dev/null 2>&1; then
  say "installing docker.io from apt"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
fi

if engine_answers; then
  say "docker engine is running"
else
  say "starting dockerd (log: $LOG_FILE)"
  # A dockerd killed with its machine session leaves its pid file behind, and a new dockerd
  # refuses to start while it exists: remove it when no process of that pid runs any more.
  for pid_file in /var/run/docker.pid /run/docker/containerd/containerd.pid; do
    if [ -f "$pid_file" ] && ! as_root kill -0 "$(cat "$pid_file")" 2>/dev/null; then
      say "removing stale $pid_file"
      as_root rm -f "$pid_file"
    fi
  done
  # Detached from this shell's session so the engine outlives the script that started it. The
  # package's init script may have started one already; a second dockerd fails fast on its pid
  # file, so the wait below is what judges success.
  as_root setsid dockerd >>"$LOG_FILE" 2>&1 </dev/null &
  deadline=$((SECONDS + DEADLINE_SECONDS))
  until engine_answers; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "error: dockerd did not answer within ${DEADLINE_SECONDS}s; see $LOG_FILE" >&2
      exit 1
    fi
    sleep 0.2
  done
  say "docker engine is running (took ${SECONDS}s)"
fi

bash docker/base/build-offline.sh >/dev/null
