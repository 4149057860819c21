#!/usr/bin/env bash
# Makes sure `ip` (Debian's iproute2) is installed: the multi-host tests put runtime nodes in
# network namespaces of their own, joined by veth pairs. Waits for an apt run that holds the
# lock rather than failing. A fast no-op when it is there.
set -euo pipefail

say() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

export PATH="$PATH:/usr/sbin:/sbin"
if command -v ip >/dev/null 2>&1 && ip netns list >/dev/null 2>&1; then
  say "iproute2 (ip netns) is installed"
  exit 0
fi

say "installing iproute2 from apt"
# DPkg::Lock::Timeout makes apt wait for another apt run instead of failing at once.
as_root apt-get -o DPkg::Lock::Timeout=600 update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
  iproute2 >/dev/null
