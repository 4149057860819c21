/**
 * The SQLite store: the Store contract, then what only a SQLite file has (its bytes, its
 * PRAGMAs, upgrades of files written by older versions, the in-memory database).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { Connection } from '../../adapters/store-sqlite/connection.ts';
import { SqliteStore } from '../../adapters/store-sqlite/index.ts';
import { migrate, SCHEMA_VERSION } from '../../adapters/store-sqlite/schema.ts';
import { storeContract } from './store.contract.ts';
import { boom, manifest, result, tempDb } from './store-fixtures.ts';

/** Reads the file with a second connection, as someone holding the file would. */
function rawQuery(path: string, sql: string): Record<string, unknown>[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    // Spread: node:sqlite rows have a null prototype.
    return db
      .prepare(sql)
      .all()
      .map((row) => ({ ...row }));
  } finally {
    db.close();
  }
}

storeContract({
  location: tempDb,
  create(t, path, options = {}) {
    const store = new SqliteStore({ path, ...options });
    t.after(() => store.close());
    return store;
  },
  async count(path, table) {
    return Number(rawQuery(path, `SELECT count(*) AS n FROM ${table}`)[0]?.n);
  },
  async dump(path, table) {
    return JSON.stringify(rawQuery(path, `SELECT * FROM ${table}`));
  },
});

async function openSqlite(t: test.TestContext, path: string): Promise<SqliteStore> {
  const store = new SqliteStore({ path });
  await store.init();
  t.after(() => store.close());
  return store;
}

test('sqlite: the file holds the token hash, never the secret', async (t) => {
  const path = await tempDb(t);
  const store = await openSqlite(t, path);
  const { token } = await store.createToken('invoke', 'web');
  await store.close();
  const bytes = (await readFile(path)).toString('latin1');
  assert.ok(!bytes.includes(token.slice(21)), 'the file does not hold the secret');
  assert.ok(!bytes.includes(token), 'the file does not hold the token');
});

test('sqlite: the file is in WAL mode at the current schema version', async (t) => {
  const path = await tempDb(t);
  await openSqlite(t, path);
  assert.deepEqual(rawQuery(path, 'PRAGMA user_version'), [{ user_version: SCHEMA_VERSION }]);
  assert.deepEqual(rawQuery(path, 'PRAGMA journal_mode'), [{ journal_mode: 'wal' }]);
});

test('sqlite: a schema newer than the code is refused', async (t) => {
  const path = await tempDb(t);
  const db = new DatabaseSync(path);
  db.exec('PRAGMA user_version = 99');
  db.close();
  const store = new SqliteStore({ path });
  await assert.rejects(store.init(), { code: 'INTERNAL', message: /newer/ });
});

test('sqlite: an in-memory store works', async (t) => {
  const store = await openSqlite(t, ':memory:');
  await store.createVersion(manifest('hello'), 'code');
  assert.equal((await store.getFunction('hello'))?.activeVersion, 1);
});

test('sqlite: a version 1 store is upgraded in place, keeping its invocations', async (t) => {
  const path = await tempDb(t);
  const v1 = new Connection({ path, synchronous: 'normal', busyTimeoutMs: 1000 });
  migrate(v1, 1);
  v1.run(
    `INSERT INTO invocations (id, call_id, fn, version, mode, trigger_kind, status, attempts,
       queued_at) VALUES ('old', 'c', 'hello', 1, 'async', 'event', 'queued', 0, 5)`,
  );
  v1.close();
  const store = await openSqlite(t, path);
  assert.deepEqual(rawQuery(path, 'PRAGMA user_version'), [{ user_version: SCHEMA_VERSION }]);
  assert.equal((await store.getInvocation('old'))?.status, 'queued');
  await store.recordResult(result('old', { fn: 'hello', status: 'failed', error: boom }));
  assert.equal((await store.listAttempts('old')).length, 1);
});

test('sqlite: a version 2 store is upgraded in place and takes schedule claims', async (t) => {
  const path = await tempDb(t);
  const v2 = new Connection({ path, synchronous: 'normal', busyTimeoutMs: 1000 });
  migrate(v2, 2);
  v2.close();
  const store = await openSqlite(t, path);
  assert.deepEqual(rawQuery(path, 'PRAGMA user_version'), [{ user_version: SCHEMA_VERSION }]);
  const claim = { fn: 'cron-u', scheduledAt: 1000, invocationId: 'inv-1', now: 1000 };
  assert.equal(await store.claimScheduledRun(claim), true);
  assert.equal(await store.claimScheduledRun({ ...claim, invocationId: 'inv-2' }), false);
});
