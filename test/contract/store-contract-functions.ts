/** Store contract: tokens, functions, versions, bundles and deleting a function. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import type { Opener } from './store.contract.ts';
import { lines, manifest, queued, result } from './store-fixtures.ts';

export function functionCases({ open, subject }: Opener): void {
  test('a created token verifies to its record', async (t) => {
    const { store } = await open(t);
    const { record, token } = await store.createToken('deploy', 'ci');
    assert.match(token, /^fjd_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    assert.equal(record.scope, 'deploy');
    assert.equal(record.label, 'ci');
    assert.deepEqual(await store.verifyToken(token), record);
  });

  test('wrong, unknown and malformed tokens verify to undefined without throwing', async (t) => {
    const { store } = await open(t);
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
    const { store, location } = await open(t);
    const { token } = await store.createToken('invoke', 'web');
    const secret = token.slice(21);
    const hash = createHash('sha256').update(secret).digest('hex');
    const stored = await subject.dump(location, 'tokens');
    assert.ok(stored.includes(hash), 'the table holds the hash');
    assert.ok(!stored.includes(secret), 'the table does not hold the secret');
  });

  test('versions count up, the newest is active and the list is ascending', async (t) => {
    const { store } = await open(t);
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
    const { store } = await open(t);
    for (const name of ['zeta', 'alpha', 'mid']) await store.createVersion(manifest(name), name);
    assert.deepEqual(
      (await store.listFunctions()).map((f) => f.name),
      ['alpha', 'mid', 'zeta'],
    );
  });

  test('the same code is stored once', async (t) => {
    const { store, location } = await open(t);
    const code = 'export default () => "same";';
    const a = await store.createVersion(manifest('one'), code);
    const b = await store.createVersion(manifest('one'), code);
    const c = await store.createVersion(manifest('two'), code);
    assert.equal(a.bundleSha, b.bundleSha);
    assert.equal(a.bundleSha, c.bundleSha);
    assert.equal(await subject.count(location, 'bundles'), 1);
  });

  test('rollback activates an existing version and versions keep counting', async (t) => {
    const { store } = await open(t);
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
    const { store } = await open(t);
    await store.createVersion(manifest('hello'), 'v1');
    await assert.rejects(store.setActiveVersion('hello', 7), { code: 'VERSION_NOT_FOUND' });
    await assert.rejects(store.setActiveVersion('nope', 1), { code: 'FUNCTION_NOT_FOUND' });
    assert.equal((await store.getFunction('hello'))?.activeVersion, 1);
  });

  test('delete removes the function, versions, invocations, logs and orphan bundles', async (t) => {
    const { store, location } = await open(t);
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
    assert.equal(await subject.count(location, 'versions'), 1);

    assert.ok(await store.getFunction('keeper'));
    assert.ok(await store.getInvocation('inv-k'));
    assert.equal((await store.listLogs('keeper')).length, 1);
    assert.equal(await store.deleteFunction('doomed'), false);
  });
}
