#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what is missing (Node 24, dependencies,
# RabbitMQ, Docker), starts RabbitMQ and dockerd when they are not running, then runs the cheap
# checks first (types, lint, format) and every test against the real services.
set -euo pipefail
cd "$(dirname "$0")/.."
# Node 24 lives in /usr/local/bin; rabbitmqctl (the tests make a vhost per stack) in /usr/sbin.
export PATH="/usr/local/bin:$PATH:/usr/sbin:/sbin"

bash scripts/setup.sh
bash scripts/ensure-rabbitmq.sh
bash scripts/ensure-amqp-clients.sh
bash scripts/ensure-iproute.sh
bash scripts/ensure-postgres.sh
bash scripts/ensure-docker.sh
bash scripts/ensure-chromium.sh
bash scripts/ensure-example-deps.sh
bash scripts/ensure-deploy-tools.sh

echo "==> typecheck, lint, format" >&2
npx tsc --noEmit
npx eslint --max-warnings=0 .
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }

echo "==> tests" >&2
node --test --test-concurrency=2 --test-timeout=120000 "test/**/*.test.ts"
