/**
 * Two gateways on one store, each with its own token cache and broker, so the second never hears
 * the deletion's notice (as when cut off from the broker): a token deleted through one is refused
 * by it at once and by the other once its cache entry expires (an injected clock). Gateways that
 * hear the notice: test/e2e/token-deletion-gateways.test.ts.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { SqliteStore } from '../../adapters/store-sqlite/index.ts';
import { createLogger } from '../../core/logger.ts';
import { createGateway } from '../../gateway/gateway.ts';
import { FakeBroker } from '../support/fake-broker.ts';
import { serveGateway } from '../support/serve-gateway.ts';

const TTL_MS = 5000;

function gatewayOn(t: TestContext, store: SqliteStore, now: () => number): Promise<string> {
  const logger = createLogger({ level: 'silent' });
  const broker = new FakeBroker();
  return serveGateway(t, createGateway({ store, broker, logger, now, tokenCacheTtlMs: TTL_MS }));
}

test('a token deleted on one gateway is refused by another within its cache TTL', async (t) => {
  const store = new SqliteStore({ path: ':memory:' });
  await store.init();
  t.after(() => store.close());
  const clock = { now: 1_000_000 };
  const now = () => clock.now;
  const first = await gatewayOn(t, store, now);
  const second = await gatewayOn(t, store, now);
  const admin = (await store.createToken('admin', 'ops')).token;
  const { token, record } = await store.createToken('invoke', 'client');
  const get = (url: string, bearer: string) =>
    fetch(`${url}/v1/functions`, { headers: { authorization: `Bearer ${bearer}` } });

  assert.equal((await get(first, token)).status, 200);
  assert.equal((await get(second, token)).status, 200, 'now cached by the second gateway');
  const deleted = await fetch(`${first}/v1/tokens/${record.id}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${admin}` },
  });
  assert.equal(deleted.status, 204);
  assert.equal((await get(first, token)).status, 401, 'refused at once where it was deleted');
  clock.now += TTL_MS - 1;
  assert.equal((await get(second, token)).status, 200, 'still believed within the TTL');
  clock.now += 1;
  assert.equal((await get(second, token)).status, 401, 'refused once the entry expired');
});
