#!/usr/bin/env bash
# Makes sure Debian's headless-capable `chromium` is installed for the dashboard's browser test
# (playwright-core drives it; `npx playwright install` cannot download browsers here). Waits for
# another apt run to let go of its lock instead of fighting it. A fast no-op when it is there.
set -euo pipefail

BROWSER=/usr/bin/chromium
DEADLINE_SECONDS="${FN_APT_LOCK_TIMEOUT:-600}"
say() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if [ -x "$BROWSER" ]; then
  say "chromium is installed"
  exit 0
fi

say "installing chromium from apt"
# DPkg::Lock::Timeout makes apt wait for a lock held by another apt run (a background install
# or unattended upgrade) rather than fail at once.
as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout="$DEADLINE_SECONDS" \
  update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout="$DEADLINE_SECONDS" \
  install -y -qq chromium >/dev/null
"$BROWSER" --version >&2
