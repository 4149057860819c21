import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { Connection } from '../../adapters/store-sqlite/connection.ts';
import { WriteBatch } from '../../adapters/store-sqlite/write-batch.ts';

async function database(t: TestContext): Promise<Connection> {
  return (await databaseFile(t)).connection;
}

async function databaseFile(t: TestContext): Promise<{ connection: Connection; path: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'fjord-write-batch-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'batch.db');
  const connection = open(t, path);
  connection.exec('CREATE TABLE t (id TEXT PRIMARY KEY)');
  return { connection, path };
}

function open(t: TestContext, path: string): Connection {
  // A short busy timeout: the lock test waits it out once.
  const connection = new Connection({ path, synchronous: 'normal', busyTimeoutMs: 50 });
  t.after(() => connection.close());
  return connection;
}

const ids = (connection: Connection): string[] =>
  connection.all<{ id: string }>('SELECT id FROM t ORDER BY id').map((row) => row.id);

test('writes requested together commit together, after the caller went on', async (t) => {
  const connection = await database(t);
  const batch = new WriteBatch(connection);
  const insert = (id: string) =>
    batch.run(() => connection.run('INSERT INTO t VALUES (:id)', { id }));
  const writes = [insert('a'), insert('b'), insert('c')];
  assert.deepEqual(ids(connection), [], 'nothing is written while the burst is still running');
  const results = await Promise.all(writes);
  assert.deepEqual(ids(connection), ['a', 'b', 'c']);
  assert.deepEqual(
    results.map((r) => r.changes),
    [1, 1, 1],
    'each write resolves with its own value',
  );
});

test('a write that throws is rolled back and rejects alone; the others commit', async (t) => {
  const connection = await database(t);
  const batch = new WriteBatch(connection);
  const first = batch.run(() => connection.run("INSERT INTO t VALUES ('a')"));
  const failing = batch.run(() => {
    connection.run("INSERT INTO t VALUES ('half')");
    connection.run("INSERT INTO t VALUES ('a')"); // primary key taken by the first write
  });
  const last = batch.run(() => connection.run("INSERT INTO t VALUES ('z')"));
  await assert.rejects(failing, /UNIQUE constraint failed/);
  await Promise.all([first, last]);
  assert.deepEqual(ids(connection), ['a', 'z'], 'nothing of the failed write remains');
});

test('a batch whose transaction cannot start rejects every write in it', async (t) => {
  const { connection, path } = await databaseFile(t);
  const batch = new WriteBatch(connection);
  // Another process holds the file's write lock past the busy timeout.
  const other = open(t, path);
  other.exec('BEGIN IMMEDIATE');
  const writes = [
    batch.run(() => connection.run("INSERT INTO t VALUES ('a')")),
    batch.run(() => connection.run("INSERT INTO t VALUES ('b')")),
  ];
  for (const write of writes) await assert.rejects(write, /database is locked/);
  other.exec('ROLLBACK');
  assert.deepEqual(ids(connection), []);
});

test('a write requested while a batch commits goes into the next one', async (t) => {
  const connection = await database(t);
  const batch = new WriteBatch(connection);
  const later = batch
    .run(() => connection.run("INSERT INTO t VALUES ('a')"))
    .then(() => batch.run(() => connection.run("INSERT INTO t VALUES ('b')")));
  await later;
  assert.deepEqual(ids(connection), ['a', 'b']);
});

/** Counts the savepoints a batch opens: the statements themselves, not their timing. */
class CountingConnection extends Connection {
  savepoints = 0;

  override exec(sql: string): void {
    if (sql.startsWith('SAVEPOINT')) this.savepoints++;
    super.exec(sql);
  }
}

async function countingDatabase(t: TestContext): Promise<CountingConnection> {
  const dir = await mkdtemp(join(tmpdir(), 'fjord-write-batch-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const connection = new CountingConnection({
    path: join(dir, 'batch.db'),
    synchronous: 'normal',
    busyTimeoutMs: 50,
  });
  t.after(() => connection.close());
  connection.exec('CREATE TABLE t (id TEXT PRIMARY KEY)');
  return connection;
}

const insertId = (batch: WriteBatch, connection: Connection, id: string) =>
  batch.run(() => connection.run('INSERT INTO t VALUES (:id)', { id }));

test('a batch whose writes all succeed runs them without savepoints', async (t) => {
  const connection = await countingDatabase(t);
  const batch = new WriteBatch(connection);
  await Promise.all(['a', 'b', 'c'].map((id) => insertId(batch, connection, id)));
  assert.equal(connection.savepoints, 0);
  assert.deepEqual(ids(connection), ['a', 'b', 'c']);
});

test('a failing write in the middle: the batch runs again with savepoints, the others commit once', async (t) => {
  const connection = await countingDatabase(t);
  const batch = new WriteBatch(connection);
  const first = insertId(batch, connection, 'a');
  const failing = batch.run(() => {
    connection.run("INSERT INTO t VALUES ('half')");
    throw new Error('boom');
  });
  const last = insertId(batch, connection, 'z');
  await assert.rejects(failing, /boom/);
  assert.deepEqual(
    (await Promise.all([first, last])).map((r) => r.changes),
    [1, 1],
    'the writes run again after the rollback resolve with their own values',
  );
  assert.deepEqual(ids(connection), ['a', 'z'], 'the rolled back first run left nothing twice');
  assert.equal(connection.savepoints, 3, 'one savepoint per write on the careful run');
});

test('a lone write that throws rejects without a second run', async (t) => {
  const connection = await countingDatabase(t);
  const batch = new WriteBatch(connection);
  let runs = 0;
  const failing = batch.run(() => {
    runs++;
    connection.run("INSERT INTO t VALUES ('half')");
    throw new Error('boom');
  });
  await assert.rejects(failing, /boom/);
  assert.equal(runs, 1);
  assert.equal(connection.savepoints, 0);
  assert.deepEqual(ids(connection), [], 'its half-done write was rolled back');
  assert.deepEqual(
    (await batch.run(() => connection.run("INSERT INTO t VALUES ('b')"))).changes,
    1,
  );
});

test('a batch flushed inside a caller transaction keeps the savepoints and the caller work', async (t) => {
  const connection = await countingDatabase(t);
  const batch = new WriteBatch(connection);
  const good = insertId(batch, connection, 'a');
  const failing = batch.run(() => connection.run("INSERT INTO t VALUES ('a')"));
  connection.transaction(() => {
    connection.run("INSERT INTO t VALUES ('caller')");
    batch.flush();
  });
  await good;
  await assert.rejects(failing, /UNIQUE constraint failed/);
  assert.deepEqual(ids(connection), ['a', 'caller']);
  assert.equal(connection.savepoints, 2);
});
