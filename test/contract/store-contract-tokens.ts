/** Store contract: listing and deleting tokens (creating and verifying them is in functions). */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import type { Opener } from './store.contract.ts';

export function tokenCases({ open, subject }: Opener): void {
  test('tokens: the list holds every record oldest first, never a secret or a hash', async (t) => {
    let now = 1000;
    const { store } = await open(t, undefined, { now: () => now });
    assert.deepEqual(await store.listTokens(), []);
    const ci = await store.createToken('deploy', 'ci');
    now = 2000;
    const web = await store.createToken('invoke', 'web app');
    assert.deepEqual(await store.listTokens(), [ci.record, web.record]);
    assert.deepEqual(ci.record, {
      id: ci.record.id,
      scope: 'deploy',
      label: 'ci',
      createdAt: 1000,
    });
    const listed = JSON.stringify(await store.listTokens());
    for (const { token } of [ci, web]) {
      const secret = token.slice(21);
      const hash = createHash('sha256').update(secret).digest('hex');
      assert.ok(!listed.includes(secret), 'the list does not hold the secret');
      assert.ok(!listed.includes(hash), 'the list does not hold the hash');
    }
  });

  test('tokens: a deleted token no longer verifies nor lists; deleting again is false', async (t) => {
    const { store, location } = await open(t);
    const gone = await store.createToken('admin', 'old');
    const kept = await store.createToken('node', 'node-1');
    assert.equal(await store.deleteToken(gone.record.id), true);
    assert.equal(await store.verifyToken(gone.token), undefined);
    assert.deepEqual(await store.listTokens(), [kept.record]);
    assert.deepEqual(await store.verifyToken(kept.token), kept.record);
    assert.equal(await store.deleteToken(gone.record.id), false);
    assert.equal(await store.deleteToken('0000000000000000'), false);
    assert.equal(await store.deleteToken(''), false);
    assert.equal(await subject.count(location, 'tokens'), 1);
  });

  test('tokens: a second store on the same database sees a deletion', async (t) => {
    const { store: first, location } = await open(t);
    const { store: second } = await open(t, location);
    const { record, token } = await first.createToken('invoke', 'shared');
    assert.deepEqual(await second.listTokens(), [record]);
    assert.equal(await second.deleteToken(record.id), true);
    assert.equal(await first.verifyToken(token), undefined);
    assert.deepEqual(await first.listTokens(), []);
  });
}
