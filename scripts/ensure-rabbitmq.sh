#!/usr/bin/env bash
# Makes sure a local RabbitMQ answers on this Debian/Ubuntu machine: installs `rabbitmq-server`
# from apt when missing, starts it detached when it is not running, and waits until it answers.
# A fast no-op when it is already up, so tests and CI can call it every time.
set -euo pipefail

DEADLINE_SECONDS="${FN_RABBITMQ_START_TIMEOUT:-300}"
say() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
# The CLI tools read the Erlang cookie of the user running the server, hence root when not root.
# `ping` answers as soon as the Erlang node is up, while the broker may still be recovering its
# queues (minutes with thousands of quorum queues); `check_running` waits for the rabbit app.
ping_rabbitmq() { as_root rabbitmq-diagnostics -q check_running >/dev/null 2>&1; }

# rabbitmq-diagnostics lives in /usr/sbin, which is not on every user's PATH.
export PATH="$PATH:/usr/sbin:/sbin"

if ! command -v rabbitmq-server >/dev/null 2>&1; then
  say "installing rabbitmq-server from apt"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
fi

if ping_rabbitmq; then
  say "rabbitmq is running"
  exit 0
fi

say "starting rabbitmq-server"
# The Debian package may have started it through its init script already; -detached on a running
# node only complains, so a failure here is judged by the ping loop below, not by its status.
as_root rabbitmq-server -detached >/dev/null 2>&1 || true

deadline=$((SECONDS + DEADLINE_SECONDS))
until ping_rabbitmq; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "error: rabbitmq did not answer within ${DEADLINE_SECONDS}s; see /var/log/rabbitmq/" >&2
    exit 1
  fi
  sleep 0.5
done
say "rabbitmq is running (took ${SECONDS}s)"
