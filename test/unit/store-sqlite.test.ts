import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { SqliteStore } from '../../adapters/store-sqlite/index.ts';
import { SCHEMA_VERSION } from '../../adapters/store-sqlite/schema.ts';
import { lines, manifest, openStore, queued, rawQuery, result, tempDb } from './store-fixtures.ts';

test('a created token verifies to its record', async (t) => {
  const { store } = await openStore(t);
  const { record, token } = await store.createToken('deploy', 'ci');
  assert.match(token, /^fjd_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
  assert.equal(record.scope, 'deploy');
  assert.equal(record.label, 'ci');
  assert.deepEqual(await store.verifyToken(token), record);
});

test('wrong, unknown and malformed tokens verify to undefined without throwing', async (t) => {
  const { store } = await openStore(t);
  const { token } = await store.createToken('admin', 'ops');
  const id = token.slice(4, 20);
  const secret = token.slice(21);
  const otherSecret = (secret[0] === 'A' ? 'B' : 'A') + secret.slice(1);
  const bad: unknown[] = [
    `fjd_${id}_${otherSecret}`,
    `fjd_${'0'.repeat(16)}_${secret}`,
    `${token}x`,
    token.slice(0, -1),
    token.toUpperCase(),
    `fjd_${id}`,
    'fjd_',
    '',
    'Bearer ' + token,
    undefined,
    null,
    42,
  ];
  for (const candidate of bad) {
    assert.equal(await store.verifyToken(candidate as string), undefined, String(candidate));
  }
  assert.ok(await store.verifyToken(token), 'the right token still verifies');
});

test('only the hash of the secret is stored, never the plaintext', async (t) => {
  const path = await tempDb(t);
  const store = new SqliteStore({ path });
  await store.init();
  const { token } = await store.createToken('invoke', 'web');
  await store.close();
  const secret = token.slice(21);
  const hash = createHash('sha256').update(secret).digest('hex');

  assert.deepEqual(
    rawQuery(path, 'SELECT hash FROM tokens').map((row) => row.hash),
    [hash],
  );
  const bytes = (await readFile(path)).toString('latin1');
  assert.ok(bytes.includes(hash), 'the file holds the hash');
  assert.ok(!bytes.includes(secret), 'the file does not hold the secret');
  assert.ok(!bytes.includes(token), 'the file does not hold the token');
});

test('versions count up, the newest is active and the list is ascending', async (t) => {
  const { store } = await openStore(t);
  const v1 = await store.createVersion(manifest('hello'), 'export default 1;');
  const v2 = await store.createVersion(manifest('hello', { memoryMb: 128 }), 'export default 2;');
  assert.equal(v1.version, 1);
  assert.equal(v2.version, 2);
  assert.equal(v2.bundleSize, Buffer.byteLength('export default 2;'));
  assert.equal(v2.bundleSha, createHash('sha256').update('export default 2;').digest('hex'));

  const fn = await store.getFunction('hello');
  assert.equal(fn?.activeVersion, 2);
  assert.deepEqual(fn?.active, v2);
  assert.deepEqual(
    (await store.listVersions('hello')).map((v) => [v.version, v.manifest.memoryMb]),
    [
      [1, 64],
      [2, 128],
    ],
  );
  assert.equal(await store.getBundle(v1.bundleSha), 'export default 1;');
  assert.equal(await store.getFunction('nope'), undefined);
  assert.deepEqual(await store.listVersions('nope'), []);
});

test('functions are listed by name', async (t) => {
  const { store } = await openStore(t);
  for (const name of ['zeta', 'alpha', 'mid']) await store.createVersion(manifest(name), name);
  assert.deepEqual(
    (await store.listFunctions()).map((f) => f.name),
    ['alpha', 'mid', 'zeta'],
  );
});

test('the same code is stored once', async (t) => {
  const { store, path } = await openStore(t);
  const code = 'export default () => "same";';
  const a = await store.createVersion(manifest('one'), code);
  const b = await store.createVersion(manifest('one'), code);
  const c = await store.createVersion(manifest('two'), code);
  assert.equal(a.bundleSha, b.bundleSha);
  assert.equal(a.bundleSha, c.bundleSha);
  assert.deepEqual(rawQuery(path, 'SELECT count(*) AS n FROM bundles')[0]?.n, 1);
});

test('rollback activates an existing version and versions keep counting', async (t) => {
  const { store } = await openStore(t);
  await store.createVersion(manifest('hello'), 'v1');
  await store.createVersion(manifest('hello'), 'v2');
  const rolledBack = await store.setActiveVersion('hello', 1);
  assert.equal(rolledBack.activeVersion, 1);
  assert.equal(rolledBack.active.version, 1);
  assert.equal(await store.getBundle(rolledBack.active.bundleSha), 'v1');
  assert.equal((await store.getFunction('hello'))?.activeVersion, 1);

  const v3 = await store.createVersion(manifest('hello'), 'v3');
  assert.equal(v3.version, 3);
  assert.equal((await store.getFunction('hello'))?.activeVersion, 3);
});

test('rollback to a missing version or function is rejected with its code', async (t) => {
  const { store } = await openStore(t);
  await store.createVersion(manifest('hello'), 'v1');
  await assert.rejects(store.setActiveVersion('hello', 7), { code: 'VERSION_NOT_FOUND' });
  await assert.rejects(store.setActiveVersion('nope', 1), { code: 'FUNCTION_NOT_FOUND' });
  assert.equal((await store.getFunction('hello'))?.activeVersion, 1);
});

test('delete removes the function, versions, invocations, logs and orphan bundles', async (t) => {
  const { store, path } = await openStore(t);
  const own = await store.createVersion(manifest('doomed'), 'only doomed uses this');
  const shared = await store.createVersion(manifest('doomed'), 'shared code');
  await store.createVersion(manifest('keeper'), 'shared code');
  await store.createInvocation(queued('inv-d', 'doomed'));
  await store.recordResult(result('inv-d', { fn: 'doomed', logs: lines('bye') }));
  await store.recordResult(result('inv-k', { fn: 'keeper', logs: lines('hi') }));

  assert.equal(await store.deleteFunction('doomed'), true);
  assert.equal(await store.getFunction('doomed'), undefined);
  assert.deepEqual(await store.listVersions('doomed'), []);
  assert.equal(await store.getInvocation('inv-d'), undefined);
  assert.deepEqual(await store.listLogs('doomed'), []);
  assert.equal(await store.getBundle(own.bundleSha), undefined);
  assert.equal(await store.getBundle(shared.bundleSha), 'shared code');
  assert.deepEqual(rawQuery(path, 'SELECT count(*) AS n FROM versions')[0]?.n, 1);

  assert.ok(await store.getFunction('keeper'));
  assert.ok(await store.getInvocation('inv-k'));
  assert.equal((await store.listLogs('keeper')).length, 1);
  assert.equal(await store.deleteFunction('doomed'), false);
});

test('an invocation goes queued, running, succeeded', async (t) => {
  const { store } = await openStore(t);
  await store.createInvocation(queued('inv-1', 'hello', { trigger: 'http', mode: 'sync' }));
  assert.equal((await store.getInvocation('inv-1'))?.status, 'queued');

  await store.markStarted('inv-1', 'node-a', 1, 2000);
  const running = await store.getInvocation('inv-1');
  assert.equal(running?.status, 'running');
  assert.equal(running?.node, 'node-a');
  assert.equal(running?.attempts, 1);
  assert.equal(running?.startedAt, 2000);

  await store.recordResult(
    result('inv-1', {
      value: undefined,
      response: {
        status: 201,
        headers: [['content-type', 'text/plain']],
        body: Buffer.from('hello world').toString('base64'),
      },
    }),
  );
  assert.deepEqual(await store.getInvocation('inv-1'), {
    id: 'inv-1',
    callId: 'call-inv-1',
    fn: 'hello',
    version: 1,
    mode: 'sync',
    trigger: 'http',
    status: 'succeeded',
    attempts: 1,
    queuedAt: 1000,
    startedAt: 2000,
    endedAt: 2015,
    durationMs: 15,
    coldStart: true,
    cpuMs: 3.5,
    node: 'node-a',
    result: { status: 201, headers: [['content-type', 'text/plain']], bodySize: 11 },
  });
});

test('a failed event invocation keeps its error and value-less result', async (t) => {
  const { store } = await openStore(t);
  await store.createInvocation(queued('inv-f'));
  const error = { code: 'FUNCTION_ERROR' as const, message: 'boom', name: 'TypeError' };
  await store.recordResult(result('inv-f', { status: 'failed', value: undefined, error }));
  const record = await store.getInvocation('inv-f');
  assert.equal(record?.status, 'failed');
  assert.deepEqual(record?.error, error);
  assert.equal('result' in (record ?? {}), false);
  assert.equal(record?.mode, 'async');
});

test('a started report after the result does not regress the invocation', async (t) => {
  const { store } = await openStore(t);
  await store.createInvocation(queued('inv-2'));
  await store.recordResult(result('inv-2', { node: 'node-b' }));
  await store.markStarted('inv-2', 'node-late', 1, 1999);
  const record = await store.getInvocation('inv-2');
  assert.equal(record?.status, 'succeeded');
  assert.equal(record?.node, 'node-b');
  assert.equal(record?.startedAt, 2000);
});

test('an earlier attempt starting late does not overwrite a later one', async (t) => {
  const { store } = await openStore(t);
  await store.createInvocation(queued('inv-3'));
  await store.markStarted('inv-3', 'node-b', 2, 2500);
  await store.markStarted('inv-3', 'node-a', 1, 2000);
  const record = await store.getInvocation('inv-3');
  assert.equal(record?.node, 'node-b');
  assert.equal(record?.attempts, 2);
  assert.equal(record?.startedAt, 2500);
});

test('recording the same result twice changes nothing and adds no logs', async (t) => {
  const { store } = await openStore(t);
  await store.createInvocation(queued('inv-4'));
  const once = result('inv-4', { logs: lines('a', 'b', 'c') });
  await store.recordResult(once);
  const first = await store.getInvocation('inv-4');
  await store.recordResult(structuredClone(once));
  assert.deepEqual(await store.getInvocation('inv-4'), first);
  assert.deepEqual(
    (await store.listLogs('hello')).map((l) => l.message),
    ['a', 'b', 'c'],
  );
});

test("an older attempt's result does not overwrite a newer final result", async (t) => {
  const { store } = await openStore(t);
  await store.createInvocation(queued('inv-5'));
  await store.recordResult(result('inv-5', { attempt: 2, node: 'node-b', value: 'second' }));
  await store.recordResult(
    result('inv-5', {
      attempt: 1,
      node: 'node-a',
      status: 'failed',
      value: undefined,
      error: { code: 'FUNCTION_CRASHED', message: 'crashed' },
      logs: lines('from attempt 1'),
    }),
  );
  const record = await store.getInvocation('inv-5');
  assert.equal(record?.status, 'succeeded');
  assert.equal(record?.attempts, 2);
  assert.equal(record?.node, 'node-b');
  assert.equal(record?.result, 'second');
  assert.equal(record?.error, undefined);
  // The late attempt did run, so its logs are kept.
  assert.deepEqual(
    (await store.listLogs('hello')).map((l) => l.message),
    ['from attempt 1'],
  );
});

test('a newer attempt replaces an older failed result', async (t) => {
  const { store } = await openStore(t);
  await store.recordResult(
    result('inv-6', { status: 'failed', error: { code: 'INTERNAL', message: 'x' } }),
  );
  await store.recordResult(result('inv-6', { attempt: 2, value: null }));
  const record = await store.getInvocation('inv-6');
  assert.equal(record?.status, 'succeeded');
  assert.equal(record?.attempts, 2);
  assert.equal(record?.error, undefined);
  assert.equal(record?.result, null);
});

test('a result without a record creates one', async (t) => {
  const { store } = await openStore(t);
  await store.recordResult(result('inv-7', { startedAt: 4000, endedAt: 4002 }));
  await store.recordResult(
    result('inv-8', { value: undefined, response: { status: 204, headers: [] } }),
  );
  const event = await store.getInvocation('inv-7');
  assert.equal(event?.mode, 'sync');
  assert.equal(event?.trigger, 'event');
  assert.equal(event?.queuedAt, 4000);
  assert.equal(event?.durationMs, 2);
  assert.deepEqual(event?.result, { ok: true });
  const http = await store.getInvocation('inv-8');
  assert.equal(http?.trigger, 'http');
  assert.deepEqual(http?.result, { status: 204, headers: [], bodySize: 0 });
});

test('a late acceptance fills in its facts without losing the recorded result', async (t) => {
  const { store } = await openStore(t);
  await store.recordResult(result('inv-9'));
  await store.createInvocation(queued('inv-9', 'hello', { mode: 'async', queuedAt: 1500 }));
  const record = await store.getInvocation('inv-9');
  assert.equal(record?.mode, 'async');
  assert.equal(record?.queuedAt, 1500);
  assert.equal(record?.status, 'succeeded');
  assert.equal(record?.attempts, 1);
});

test('logs: tail without afterSeq, follow with it, filtered by function and invocation', async (t) => {
  const { store } = await openStore(t);
  await store.recordResult(result('inv-a', { logs: lines('a1', 'a2', 'a3') }));
  await store.recordResult(result('inv-o', { fn: 'other', logs: lines('o1') }));
  await store.recordResult(result('inv-b', { logs: lines('b1', 'b2') }));

  const all = await store.listLogs('hello');
  assert.deepEqual(
    all.map((l) => l.message),
    ['a1', 'a2', 'a3', 'b1', 'b2'],
  );
  assert.deepEqual(all[0], {
    seq: all[0]?.seq,
    fn: 'hello',
    invocationId: 'inv-a',
    ts: 3000,
    level: 'info',
    message: 'a1',
  });
  const seqs = all.map((l) => l.seq);
  assert.deepEqual(
    seqs,
    [...seqs].sort((x, y) => x - y),
  );

  assert.deepEqual(
    (await store.listLogs('hello', { limit: 2 })).map((l) => l.message),
    ['b1', 'b2'],
  );
  const third = all[2]?.seq ?? -1;
  assert.deepEqual(
    (await store.listLogs('hello', { afterSeq: third })).map((l) => l.message),
    ['b1', 'b2'],
  );
  assert.deepEqual(
    (await store.listLogs('hello', { afterSeq: all[0]?.seq ?? -1, limit: 2 })).map(
      (l) => l.message,
    ),
    ['a2', 'a3'],
  );
  assert.deepEqual(
    (await store.listLogs('hello', { invocationId: 'inv-a', limit: 2 })).map((l) => l.message),
    ['a2', 'a3'],
  );
  assert.deepEqual(await store.listLogs('hello', { afterSeq: all.at(-1)?.seq ?? -1 }), []);
  assert.deepEqual(
    (await store.listLogs('other')).map((l) => l.message),
    ['o1'],
  );
});

test('logs: the limit defaults to 100 and is capped at 1000', async (t) => {
  const { store } = await openStore(t);
  const many = Array.from({ length: 1100 }, (_, i) => `line ${i}`);
  await store.recordResult(result('inv-many', { logs: lines(...many) }));
  const tail = await store.listLogs('hello');
  assert.equal(tail.length, 100);
  assert.equal(tail[0]?.message, 'line 1000');
  assert.equal(tail.at(-1)?.message, 'line 1099');
  const capped = await store.listLogs('hello', { afterSeq: 0, limit: 5000 });
  assert.equal(capped.length, 1000);
  assert.equal(capped[0]?.message, 'line 0');
});

test('data survives close and reopen', async (t) => {
  const path = await tempDb(t);
  const first = new SqliteStore({ path });
  await first.init();
  const { token, record } = await first.createToken('admin', 'root');
  const version = await first.createVersion(manifest('hello'), 'code');
  await first.createInvocation(queued('inv-r'));
  await first.recordResult(result('inv-r', { logs: lines('kept') }));
  const invocation = await first.getInvocation('inv-r');
  await first.close();

  const { store } = await openStore(t, path);
  assert.deepEqual(await store.verifyToken(token), record);
  assert.deepEqual((await store.getFunction('hello'))?.active, version);
  assert.equal(await store.getBundle(version.bundleSha), 'code');
  assert.deepEqual(await store.getInvocation('inv-r'), invocation);
  assert.deepEqual(
    (await store.listLogs('hello')).map((l) => l.message),
    ['kept'],
  );
  assert.equal((await store.createVersion(manifest('hello'), 'code 2')).version, 2);
  assert.deepEqual(rawQuery(path, 'PRAGMA user_version'), [{ user_version: SCHEMA_VERSION }]);
  assert.deepEqual(rawQuery(path, 'PRAGMA journal_mode'), [{ journal_mode: 'wal' }]);
});

test('a schema newer than the code is refused', async (t) => {
  const path = await tempDb(t);
  const db = new DatabaseSync(path);
  db.exec('PRAGMA user_version = 99');
  db.close();
  const store = new SqliteStore({ path });
  await assert.rejects(store.init(), { code: 'INTERNAL', message: /newer/ });
});

test('a store that is not open rejects calls', async (t) => {
  const store = new SqliteStore({ path: await tempDb(t) });
  await assert.rejects(store.listFunctions(), { code: 'INTERNAL' });
  await store.init();
  await store.close();
  await assert.rejects(store.getInvocation('x'), { code: 'INTERNAL' });
});

test('an in-memory store works', async (t) => {
  const { store } = await openStore(t, ':memory:');
  await store.createVersion(manifest('hello'), 'code');
  assert.equal((await store.getFunction('hello'))?.activeVersion, 1);
});
