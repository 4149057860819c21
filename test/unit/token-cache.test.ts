import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { Connection } from '../../adapters/store-sqlite/connection.ts';
import { SqliteStore } from '../../adapters/store-sqlite/index.ts';
import type { TokenRecord } from '../../core/store.ts';
import { TokenCache, type TokenVerifier } from '../../gateway/token-cache.ts';

const TTL_MS = 5000;

interface Setup {
  store: SqliteStore;
  /** The store's verifyToken, counting the calls that reach it. */
  counted: TokenVerifier & { calls: number };
  /** Deletes a token's row past this cache, as another gateway's DELETE /v1/tokens/ID would. */
  deleteToken(id: string): void;
  clock: { now: number };
}

async function setup(t: TestContext): Promise<Setup> {
  const dir = await mkdtemp(join(tmpdir(), 'fjord-token-cache-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'store.db');
  const store = new SqliteStore({ path });
  await store.init();
  t.after(() => store.close());
  const counted = {
    calls: 0,
    verifyToken(token: string): Promise<TokenRecord | undefined> {
      counted.calls++;
      return store.verifyToken(token);
    },
  };
  const deleteToken = (id: string): void => {
    const other = new Connection({ path, synchronous: 'normal', busyTimeoutMs: 1000 });
    other.run('DELETE FROM tokens WHERE id = :id', { id });
    other.close();
  };
  return { store, counted, deleteToken, clock: { now: 1_000_000 } };
}

function cacheOf(s: Setup, options: { ttlMs?: number; maxEntries?: number } = {}): TokenCache {
  return new TokenCache(s.counted, { ttlMs: TTL_MS, ...options, now: () => s.clock.now });
}

/** The same token id with another secret of the right shape. */
function withWrongSecret(token: string): string {
  const last = token.at(-1) === 'A' ? 'B' : 'A';
  return token.slice(0, -1) + last;
}

test('a verified token is believed for the TTL without asking the store again', async (t) => {
  const s = await setup(t);
  const { record, token } = await s.store.createToken('invoke', 'client');
  const cache = cacheOf(s);
  assert.deepEqual(await cache.verifyToken(token), record);
  s.clock.now += TTL_MS - 1;
  assert.deepEqual(await cache.verifyToken(token), record);
  assert.equal(s.counted.calls, 1);
});

test('a wrong secret for a cached token id is refused', async (t) => {
  const s = await setup(t);
  const { token } = await s.store.createToken('admin', 'ops');
  const cache = cacheOf(s);
  assert.ok(await cache.verifyToken(token));
  const forged = withWrongSecret(token);
  assert.notEqual(forged, token);
  assert.equal(await cache.verifyToken(forged), undefined);
  assert.equal(await cache.verifyToken(forged), undefined, 'a refusal is not cached either');
  assert.equal(s.counted.calls, 3);
});

test('a token deleted from the store is refused once its entry expires', async (t) => {
  const s = await setup(t);
  const { record, token } = await s.store.createToken('invoke', 'leaked');
  const cache = cacheOf(s);
  assert.ok(await cache.verifyToken(token));
  s.deleteToken(record.id);
  assert.equal(await s.store.verifyToken(token), undefined, 'the store refuses it at once');
  assert.ok(await cache.verifyToken(token), 'the cache believes it within the TTL');
  s.clock.now += TTL_MS;
  assert.equal(await cache.verifyToken(token), undefined);
  s.clock.now += 1;
  assert.equal(await cache.verifyToken(token), undefined, 'and keeps refusing it');
});

test('unknown and malformed tokens ask the store every time', async (t) => {
  const s = await setup(t);
  const cache = cacheOf(s);
  for (const token of ['fjd_0123456789abcdef_' + 'x'.repeat(43), 'nonsense', 'nonsense']) {
    assert.equal(await cache.verifyToken(token), undefined);
  }
  assert.equal(s.counted.calls, 3);
});

test('a TTL of 0 disables the cache', async (t) => {
  const s = await setup(t);
  const { token } = await s.store.createToken('invoke', 'client');
  const cache = cacheOf(s, { ttlMs: 0 });
  await cache.verifyToken(token);
  await cache.verifyToken(token);
  assert.equal(s.counted.calls, 2);
});

test('at most maxEntries tokens are kept; the oldest goes first', async (t) => {
  const s = await setup(t);
  const tokens = await Promise.all(
    ['a', 'b', 'c'].map(async (label) => (await s.store.createToken('invoke', label)).token),
  );
  const [a = '', b = '', c = ''] = tokens;
  const cache = cacheOf(s, { maxEntries: 2 });
  for (const token of [a, b, c]) await cache.verifyToken(token);
  assert.equal(s.counted.calls, 3);
  await cache.verifyToken(c);
  await cache.verifyToken(b);
  assert.equal(s.counted.calls, 3, 'the two newest are kept');
  await cache.verifyToken(a);
  assert.equal(s.counted.calls, 4, 'the oldest was dropped');
});

test('forget(id) drops that token at once and keeps the others', async (t) => {
  const s = await setup(t);
  const gone = await s.store.createToken('invoke', 'gone');
  const kept = await s.store.createToken('invoke', 'kept');
  const cache = cacheOf(s);
  await cache.verifyToken(gone.token);
  await cache.verifyToken(kept.token);
  s.deleteToken(gone.record.id);
  assert.deepEqual(await cache.verifyToken(gone.token), gone.record, 'still believed: cached');
  const calls = s.counted.calls;
  cache.forget(gone.record.id);
  cache.forget('0000000000000000');
  assert.equal(await cache.verifyToken(gone.token), undefined);
  assert.equal(s.counted.calls, calls + 1, 'the forgotten token asked the store');
  assert.deepEqual(await cache.verifyToken(kept.token), kept.record);
  assert.equal(s.counted.calls, calls + 1, 'the other one is still cached');
});

test('known(token) answers from the cache alone: a verified token within the TTL, else nothing', async (t) => {
  const s = await setup(t);
  const { record, token } = await s.store.createToken('invoke', 'client');
  const cache = cacheOf(s);
  assert.equal(cache.known(token), undefined, 'not verified yet');
  assert.equal(s.counted.calls, 0, 'known never asks the store');
  await cache.verifyToken(token);
  assert.deepEqual(cache.known(token), record);
  assert.equal(cache.known(withWrongSecret(token)), undefined, 'a wrong secret is another key');
  s.clock.now += TTL_MS;
  assert.equal(cache.known(token), undefined, 'expired');
  assert.equal(s.counted.calls, 1);
  await cache.verifyToken(token);
  cache.forget(record.id);
  assert.equal(cache.known(token), undefined, 'forgotten');
  assert.equal(cacheOf(s, { ttlMs: 0 }).known(token), undefined, 'a TTL of 0 keeps nothing');
});

test('a store read under way when a token is forgotten is not cached', async (t) => {
  const s = await setup(t);
  const { record, token } = await s.store.createToken('invoke', 'client');
  // The read found the row; the deletion (and its forget) came before its answer was cached.
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const slow: TokenVerifier = {
    async verifyToken(candidate) {
      const found = await s.store.verifyToken(candidate);
      await gate;
      return found;
    },
  };
  const cache = new TokenCache(slow, { ttlMs: TTL_MS, now: () => s.clock.now });
  const reading = cache.verifyToken(token);
  s.deleteToken(record.id);
  cache.forget(record.id);
  release();
  assert.deepEqual(await reading, record, 'that request was checked before the deletion');
  assert.equal(cache.known(token), undefined, 'the answer was not cached');
  assert.equal(await cache.verifyToken(token), undefined, 'the next request asks the store');
});
