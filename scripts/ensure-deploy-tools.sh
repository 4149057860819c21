#!/usr/bin/env bash
# Makes sure the tools that check the deployment files (test/deploy/) are installed, all from
# Debian: systemd-analyze (package systemd; `verify` needs no running systemd), python3-yaml (to
# read docker/compose.yaml and docs/alerts.yaml as data) and promtool, which checks and unit-tests
# Prometheus rules. promtool is taken out of Debian's prometheus package without installing it,
# so no Prometheus server gets installed or started. A fast no-op when everything is there.
set -euo pipefail

say() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
PROMTOOL=/usr/local/bin/promtool

missing=()
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
/usr/bin/python3 -c 'import yaml' >/dev/null 2>&1 || missing+=(python3-yaml)
if [ "${#missing[@]}" -gt 0 ] || [ ! -x "$PROMTOOL" ]; then
  # DPkg::Lock::Timeout makes apt wait for another apt run instead of failing at once.
  as_root apt-get -o DPkg::Lock::Timeout=600 update -qq
fi
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]} from apt"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
    "${missing[@]}" >/dev/null
fi
if [ ! -x "$PROMTOOL" ]; then
  say "extracting promtool from Debian's prometheus package"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  # apt's sandbox user must be able to write where the package lands.
  chmod 0777 "$work"
  (cd "$work" && apt-get download -qq prometheus)
  dpkg-deb --fsys-tarfile "$work"/prometheus_*.deb | tar -x -C "$work" ./usr/bin/promtool
  as_root install -m 0755 "$work/usr/bin/promtool" "$PROMTOOL"
fi
say "systemd-analyze, python3-yaml and promtool are installed"
