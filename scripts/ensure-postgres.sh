#!/usr/bin/env bash
# Makes sure a local PostgreSQL answers for the tests on this Debian/Ubuntu machine: installs
# `postgresql` from apt when missing, starts the cluster when it is down, and creates the test
# role and database (idempotently). A fast no-op when all of it is there already, so tests and
# CI can call it every time. Prints the URL the tests use (FJORD_TEST_POSTGRES_URL, whose
# default in test/support/postgres.ts is this same URL).
set -euo pipefail

DEADLINE_SECONDS="${FN_POSTGRES_START_TIMEOUT:-60}"
# A role for tests only, reachable on loopback only: its password is no secret.
ROLE="${FN_POSTGRES_TEST_ROLE:-fjord_test}"
PASSWORD="${FN_POSTGRES_TEST_PASSWORD:-fjord_test}"
DATABASE="${FN_POSTGRES_TEST_DATABASE:-fjord_test}"
say() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
as_postgres() { as_root runuser -u postgres -- "$@"; }
psql_admin() { as_postgres psql -v ON_ERROR_STOP=1 -qAtX "$@"; }
answers() { psql_admin -c 'SELECT 1' >/dev/null 2>&1; }

# pg_lsclusters and pg_ctlcluster live in /usr/bin, runuser in /usr/sbin or /sbin.
export PATH="$PATH:/usr/sbin:/sbin"

if ! command -v pg_lsclusters >/dev/null 2>&1; then
  say "installing postgresql from apt"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi

if ! answers; then
  # The first cluster the package created (Debian's postgresql creates "main"); one is made
  # when a previous `pg_dropcluster` left none.
  cluster="$(pg_lsclusters -h | awk 'NR == 1 { print $1, $2 }')"
  if [ -z "$cluster" ]; then
    version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
    say "creating cluster $version/main"
    as_root pg_createcluster "$version" main >/dev/null
    cluster="$version main"
  fi
  say "starting postgresql cluster $cluster"
  # Starting a cluster that runs already fails; the wait below is what judges success.
  # shellcheck disable=SC2086
  as_root pg_ctlcluster $cluster start >/dev/null 2>&1 || true
  deadline=$((SECONDS + DEADLINE_SECONDS))
  until answers; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "error: postgresql did not answer within ${DEADLINE_SECONDS}s; see /var/log/postgresql/" >&2
      exit 1
    fi
    sleep 0.5
  done
fi

if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != 1 ]; then
  say "creating role $ROLE"
  psql_admin -c "CREATE ROLE \"$ROLE\" LOGIN PASSWORD '$PASSWORD'"
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" != 1 ]; then
  say "creating database $DATABASE"
  # Owned by the role, so tests may create and drop a schema of their own in it.
  psql_admin -c "CREATE DATABASE \"$DATABASE\" OWNER \"$ROLE\""
fi

say "postgresql is running"
echo "postgres://$ROLE:$PASSWORD@127.0.0.1:5432/$DATABASE"
