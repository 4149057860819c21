import type { DatabaseSync } from 'node:sqlite';
import { FjordError } from '../../core/errors.ts';

/**
 * Migrations in order; `PRAGMA user_version` of the broker file counts how many have run. Append
 * new ones, never edit a released one.
 */
const MIGRATIONS: readonly string[] = [
  `
  -- Every durable queue lives in this one table: one queue per function plus the results queue.
  -- AUTOINCREMENT: a seq is never reused, so a late ack of a deleted row can never hit a newer one.
  CREATE TABLE messages (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    queue        TEXT NOT NULL,
    id           TEXT NOT NULL,
    body         TEXT NOT NULL,
    -- How many times the row was leased: the next delivery's attempt number.
    deliveries   INTEGER NOT NULL DEFAULT 0,
    -- Epoch ms before which the row is not delivered (delayed retries of failed handlers).
    available_at INTEGER NOT NULL DEFAULT 0,
    -- The instance holding the row while a consumer works on it; NULL when ready.
    lease_owner  TEXT
  );
  -- "Next ready rows of a queue, FIFO" (lease_owner IS NULL is an index equality in SQLite) and
  -- deleteFunction's "every row of a queue".
  CREATE INDEX messages_by_queue ON messages (queue, lease_owner, seq);
  -- Releasing the leases of one instance (close, or its owner died).
  CREATE INDEX messages_by_owner ON messages (lease_owner) WHERE lease_owner IS NOT NULL;

  -- Who may hold leases. A lease whose owner is missing here, or dead, is released.
  CREATE TABLE instances (
    id           TEXT PRIMARY KEY,
    pid          INTEGER NOT NULL,
    started_at   INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL
  );
  `,
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the broker file up to {@link SCHEMA_VERSION}, one transaction per migration. */
export function migrate(db: DatabaseSync): void {
  const current = readVersion(db);
  if (current > SCHEMA_VERSION) {
    throw new FjordError(
      'INTERNAL',
      `broker schema version ${current} is newer than this Fjord understands (${SCHEMA_VERSION}): upgrade Fjord`,
    );
  }
  for (let target = current + 1; target <= SCHEMA_VERSION; target++) {
    transaction(db, () => {
      // Another instance sharing the file may have migrated while this one waited for the lock.
      if (readVersion(db) >= target) return;
      db.exec(MIGRATIONS[target - 1] ?? '');
      db.exec(`PRAGMA user_version = ${target}`);
    });
  }
}

/**
 * Runs `work` in one write transaction. BEGIN IMMEDIATE takes the write lock up front, so
 * instances sharing the file wait on the busy timeout instead of failing on lock upgrade.
 */
export function transaction<T>(db: DatabaseSync, work: () => T): T {
  if (db.isTransaction) return work();
  db.exec('BEGIN IMMEDIATE');
  try {
    const value = work();
    db.exec('COMMIT');
    return value;
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

function readVersion(db: DatabaseSync): number {
  const row = db.prepare('PRAGMA user_version').get() as { user_version: number } | undefined;
  return row?.user_version ?? 0;
}
