import { FjordError } from '../../core/errors.ts';
import type { Connection } from './connection.ts';

/**
 * Migrations in order; the database's `PRAGMA user_version` counts how many have run. Append new
 * ones, never edit a released one.
 */
const MIGRATIONS: readonly string[] = [
  `
  -- Only sha256(secret) is kept: a leaked database reveals no usable token.
  CREATE TABLE tokens (
    id         TEXT PRIMARY KEY,
    hash       TEXT NOT NULL,
    scope      TEXT NOT NULL,
    label      TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );

  -- Content-addressed by sha256 of the code. size precedes code so reading it never walks the
  -- code's overflow pages.
  CREATE TABLE bundles (
    sha  TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    code TEXT NOT NULL
  );

  CREATE TABLE versions (
    name       TEXT NOT NULL,
    version    INTEGER NOT NULL,
    manifest   TEXT NOT NULL,
    bundle_sha TEXT NOT NULL REFERENCES bundles (sha),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (name, version)
  );
  CREATE INDEX versions_by_bundle ON versions (bundle_sha);

  CREATE TABLE functions (
    name           TEXT PRIMARY KEY,
    active_version INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    FOREIGN KEY (name, active_version) REFERENCES versions (name, version)
  );

  -- No foreign key to functions: a result may arrive after its function was deleted, and
  -- recording it must not fail (the broker would redeliver it forever).
  CREATE TABLE invocations (
    id             TEXT PRIMARY KEY,
    call_id        TEXT NOT NULL,
    fn             TEXT NOT NULL,
    version        INTEGER NOT NULL,
    mode           TEXT NOT NULL,
    trigger_kind   TEXT NOT NULL,
    status         TEXT NOT NULL,
    attempts       INTEGER NOT NULL,
    queued_at      INTEGER NOT NULL,
    started_at     INTEGER,
    ended_at       INTEGER,
    duration_ms    INTEGER,
    cold_start     INTEGER,
    cpu_ms         REAL,
    node           TEXT,
    result         TEXT,
    error          TEXT,
    -- The attempt whose result is recorded: a late result of an older attempt loses to it.
    result_attempt INTEGER
  );
  CREATE INDEX invocations_by_fn ON invocations (fn, queued_at);

  -- attempt makes recording a result idempotent: an attempt's logs are inserted once.
  CREATE TABLE logs (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    fn            TEXT NOT NULL,
    invocation_id TEXT NOT NULL,
    attempt       INTEGER NOT NULL,
    ts            INTEGER NOT NULL,
    level         TEXT NOT NULL,
    message       TEXT NOT NULL
  );
  CREATE INDEX logs_by_fn ON logs (fn, seq);
  CREATE INDEX logs_by_invocation ON logs (invocation_id, attempt);
  `,
  `
  -- 2: retries, dead letters, cancellation, idempotency keys and callbacks (issue #5).
  ALTER TABLE invocations ADD COLUMN next_attempt_at INTEGER;
  -- Attempts up to this one were given up on and redriven: a late dead letter of one is stale.
  ALTER TABLE invocations ADD COLUMN redriven_through INTEGER;

  -- One row per attempt, from its result (or from the refusal to run it).
  CREATE TABLE attempts (
    invocation_id TEXT NOT NULL,
    attempt       INTEGER NOT NULL,
    fn            TEXT NOT NULL,
    status        TEXT NOT NULL,
    node          TEXT,
    started_at    INTEGER,
    ended_at      INTEGER,
    error         TEXT,
    PRIMARY KEY (invocation_id, attempt)
  );
  CREATE INDEX attempts_by_fn ON attempts (fn);

  -- Each function's dead-letter queue, FIFO by seq. The message (possibly megabytes) comes last
  -- so listing never reads its overflow pages.
  CREATE TABLE dead_letters (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    fn            TEXT NOT NULL,
    invocation_id TEXT NOT NULL UNIQUE,
    call_id       TEXT NOT NULL,
    version       INTEGER NOT NULL,
    attempt       INTEGER NOT NULL,
    node          TEXT NOT NULL,
    error         TEXT NOT NULL,
    queued_at     INTEGER NOT NULL,
    dead_at       INTEGER NOT NULL,
    message       TEXT NOT NULL
  );
  CREATE INDEX dead_letters_by_fn ON dead_letters (fn, seq);

  CREATE TABLE idempotency_keys (
    fn            TEXT NOT NULL,
    key           TEXT NOT NULL,
    invocation_id TEXT NOT NULL,
    fingerprint   TEXT NOT NULL,
    expires_at    INTEGER NOT NULL,
    PRIMARY KEY (fn, key)
  );
  CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (expires_at);

  -- X-Callback-Url deliveries: waiting for the end, then pending (leased to one gateway while
  -- it tries), delivered or failed. In the store, so they survive a gateway restart.
  CREATE TABLE callbacks (
    invocation_id TEXT PRIMARY KEY,
    fn            TEXT NOT NULL,
    url           TEXT NOT NULL,
    state         TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_at       INTEGER,
    lease_until   INTEGER,
    last_status   INTEGER,
    last_error    TEXT,
    delivered_at  INTEGER
  );
  CREATE INDEX callbacks_due ON callbacks (state, next_at);
  CREATE INDEX callbacks_by_fn ON callbacks (fn);
  `,
  `
  -- 3: scheduled functions (issue #5). The primary key is the lock: the gateway whose insert
  -- of a tick succeeds enqueues it, so gateways sharing the store fire each tick once.
  CREATE TABLE schedule_runs (
    fn            TEXT NOT NULL,
    scheduled_at  INTEGER NOT NULL,
    invocation_id TEXT NOT NULL,
    claimed_at    INTEGER NOT NULL,
    PRIMARY KEY (fn, scheduled_at)
  );
  `,
  `
  -- 4: secrets (issue #7), per function name, sealed with AES-256-GCM under the operator's key
  -- (core/secrets-cipher.ts): neither the key nor a plaintext value ever reaches the store.
  CREATE TABLE secrets (
    fn         TEXT NOT NULL,
    key        TEXT NOT NULL,
    sealed     TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (fn, key)
  );
  `,
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the schema up to {@link SCHEMA_VERSION} (or `target`, for tests of an upgrade), one
 * transaction per migration.
 */
export function migrate(connection: Connection, target = SCHEMA_VERSION): void {
  const current = readVersion(connection);
  if (current > SCHEMA_VERSION) {
    throw new FjordError(
      'INTERNAL',
      `store schema version ${current} is newer than this Fjord understands (${SCHEMA_VERSION}): upgrade Fjord`,
    );
  }
  for (let next = current + 1; next <= Math.min(target, SCHEMA_VERSION); next++) {
    connection.transaction(() => {
      // Another process sharing the file may have migrated while this one waited for the lock.
      if (readVersion(connection) >= next) return;
      connection.exec(MIGRATIONS[next - 1] ?? '');
      // user_version lives in the file header and commits with the migration itself.
      connection.exec(`PRAGMA user_version = ${next}`);
    });
  }
}

export function readVersion(connection: Connection): number {
  return connection.get<{ user_version: number }>('PRAGMA user_version')?.user_version ?? 0;
}
