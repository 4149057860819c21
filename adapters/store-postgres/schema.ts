import { FjordError } from '../../core/errors.ts';
import { quoteIdentifier, type Database, type Queryable } from './database.ts';

/**
 * Migrations in order; `fjord_migrations` records which have run. Append new ones, never edit
 * a released one. Times are epoch ms in bigint, JSON is jsonb, bundles are text (their sha256 is
 * over the UTF-8 text). Tables mirror the SQLite adapter's, whose comments explain each column.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE tokens (
    id         text PRIMARY KEY,
    hash       text NOT NULL,
    scope      text NOT NULL,
    label      text NOT NULL,
    created_at bigint NOT NULL
  );

  CREATE TABLE bundles (
    sha  text PRIMARY KEY,
    size integer NOT NULL,
    code text NOT NULL
  );

  CREATE TABLE versions (
    name       text NOT NULL,
    version    integer NOT NULL,
    manifest   jsonb NOT NULL,
    bundle_sha text NOT NULL REFERENCES bundles (sha),
    created_at bigint NOT NULL,
    PRIMARY KEY (name, version)
  );
  CREATE INDEX versions_by_bundle ON versions (bundle_sha);

  CREATE TABLE functions (
    name           text PRIMARY KEY,
    active_version integer NOT NULL,
    created_at     bigint NOT NULL,
    updated_at     bigint NOT NULL,
    FOREIGN KEY (name, active_version) REFERENCES versions (name, version)
  );

  -- No foreign key to functions: a result may arrive after its function was deleted.
  CREATE TABLE invocations (
    id               text PRIMARY KEY,
    call_id          text NOT NULL,
    fn               text NOT NULL,
    version          integer NOT NULL,
    mode             text NOT NULL,
    trigger_kind     text NOT NULL,
    status           text NOT NULL,
    attempts         integer NOT NULL,
    queued_at        bigint NOT NULL,
    started_at       bigint,
    ended_at         bigint,
    duration_ms      bigint,
    cold_start       boolean,
    cpu_ms           double precision,
    node             text,
    result           jsonb,
    error            jsonb,
    result_attempt   integer,
    next_attempt_at  bigint,
    redriven_through integer
  );
  CREATE INDEX invocations_by_fn ON invocations (fn, queued_at);

  CREATE TABLE logs (
    seq           bigserial PRIMARY KEY,
    fn            text NOT NULL,
    invocation_id text NOT NULL,
    attempt       integer NOT NULL,
    ts            bigint NOT NULL,
    level         text NOT NULL,
    message       text NOT NULL
  );
  CREATE INDEX logs_by_fn ON logs (fn, seq);
  CREATE INDEX logs_by_invocation ON logs (invocation_id, attempt);

  CREATE TABLE attempts (
    invocation_id text NOT NULL,
    attempt       integer NOT NULL,
    fn            text NOT NULL,
    status        text NOT NULL,
    node          text,
    started_at    bigint,
    ended_at      bigint,
    error         jsonb,
    PRIMARY KEY (invocation_id, attempt)
  );
  CREATE INDEX attempts_by_fn ON attempts (fn);

  CREATE TABLE dead_letters (
    seq           bigserial PRIMARY KEY,
    fn            text NOT NULL,
    invocation_id text NOT NULL UNIQUE,
    call_id       text NOT NULL,
    version       integer NOT NULL,
    attempt       integer NOT NULL,
    node          text NOT NULL,
    error         jsonb NOT NULL,
    queued_at     bigint NOT NULL,
    dead_at       bigint NOT NULL,
    message       jsonb NOT NULL
  );
  CREATE INDEX dead_letters_by_fn ON dead_letters (fn, seq);

  CREATE TABLE idempotency_keys (
    fn            text NOT NULL,
    key           text NOT NULL,
    invocation_id text NOT NULL,
    fingerprint   text NOT NULL,
    expires_at    bigint NOT NULL,
    PRIMARY KEY (fn, key)
  );
  CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (expires_at);

  CREATE TABLE callbacks (
    invocation_id text PRIMARY KEY,
    fn            text NOT NULL,
    url           text NOT NULL,
    state         text NOT NULL,
    attempts      integer NOT NULL DEFAULT 0,
    next_at       bigint,
    lease_until   bigint,
    last_status   integer,
    last_error    text,
    delivered_at  bigint
  );
  CREATE INDEX callbacks_due ON callbacks (state, next_at);
  CREATE INDEX callbacks_by_fn ON callbacks (fn);

  -- The primary key is the lock: the gateway whose insert of a tick succeeds enqueues it.
  CREATE TABLE schedule_runs (
    fn            text NOT NULL,
    scheduled_at  bigint NOT NULL,
    invocation_id text NOT NULL,
    claimed_at    bigint NOT NULL,
    PRIMARY KEY (fn, scheduled_at)
  );
  `,
  `
  -- Secrets (issue #7), per function name, sealed with AES-256-GCM under the operator's key
  -- (core/secrets-cipher.ts): neither the key nor a plaintext value ever reaches the store.
  CREATE TABLE secrets (
    fn         text NOT NULL,
    key        text NOT NULL,
    sealed     text NOT NULL,
    updated_at bigint NOT NULL,
    PRIMARY KEY (fn, key)
  );
  `,
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the schema up to {@link SCHEMA_VERSION} (or `target`, for tests of an upgrade) in one
 * transaction holding an advisory lock on the schema's name: gateways starting together queue
 * up behind the first, which migrates, and find the work done. DDL is transactional in
 * PostgreSQL, so a migration that fails leaves nothing half-made.
 */
export async function migrate(
  db: Database,
  schema: string | undefined,
  target = SCHEMA_VERSION,
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('fjord-migrations:' || $1))", [
      schema ?? '',
    ]);
    // Created only when missing: CREATE SCHEMA IF NOT EXISTS checks the CREATE privilege on
    // the database even when the schema exists, which a role given only its schema lacks.
    if (schema !== undefined && !(await schemaExists(tx, schema))) {
      await tx.query(`CREATE SCHEMA ${quoteIdentifier(schema)}`);
    }
    await tx.query(
      `CREATE TABLE IF NOT EXISTS fjord_migrations (
         version    integer PRIMARY KEY,
         applied_at bigint NOT NULL
       )`,
    );
    const current = await readVersion(tx);
    if (current > SCHEMA_VERSION) {
      throw new FjordError(
        'INTERNAL',
        `store schema version ${current} is newer than this Fjord understands (${SCHEMA_VERSION}): upgrade Fjord`,
      );
    }
    for (let next = current + 1; next <= Math.min(target, SCHEMA_VERSION); next++) {
      await tx.query(MIGRATIONS[next - 1] ?? '');
      await tx.query('INSERT INTO fjord_migrations (version, applied_at) VALUES ($1, $2)', [
        next,
        Date.now(),
      ]);
    }
  });
}

export async function readVersion(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ version: number | null }>(
    'SELECT max(version) AS version FROM fjord_migrations',
  );
  return rows[0]?.version ?? 0;
}

async function schemaExists(db: Queryable, schema: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  return rowCount > 0;
}
