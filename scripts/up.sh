#!/usr/bin/env bash
# Quick start: installs what is missing (Node.js 24, dependencies), then runs `fn up` on the
# embedded defaults (no RabbitMQ, no Docker) with the example functions deployed.
# Extra arguments go to `fn up`, e.g. `bash scripts/up.sh --port 9090`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/bin:$PATH"
bash scripts/setup.sh
exec node bin/fn.ts up "$@"
