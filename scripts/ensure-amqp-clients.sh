#!/usr/bin/env bash
# Makes sure the AMQP clients the queue-trigger tests publish with are installed: Debian's
# amqp-tools (amqp-publish) and python3-pika, both not ours. Waits for an apt run that holds the
# lock rather than failing. A fast no-op when both are there.
set -euo pipefail

say() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v amqp-publish >/dev/null 2>&1 || missing+=(amqp-tools)
/usr/bin/python3 -c 'import pika' >/dev/null 2>&1 || missing+=(python3-pika)
if [ "${#missing[@]}" -eq 0 ]; then
  say "amqp-tools and python3-pika are installed"
  exit 0
fi

say "installing ${missing[*]} from apt"
# DPkg::Lock::Timeout makes apt wait for another apt run instead of failing at once.
as_root apt-get -o DPkg::Lock::Timeout=600 update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
  "${missing[@]}" >/dev/null
