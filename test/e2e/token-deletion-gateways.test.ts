/**
 * Two gateways on one store and one broker (as behind a load balancer): a token deleted through
 * one is forgotten by the other at once, by the `token-deleted` notice on the control fanout,
 * not when its cache entry expires (an hour here), and the dashboard sessions it opened there
 * end too. On the embedded broker (two gateways in one process share its in-process fanout) and
 * on RabbitMQ (a connection per gateway, on a vhost of the test's own).
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { EmbeddedBroker } from '../../adapters/broker-embedded/index.ts';
import { RabbitMqBroker } from '../../adapters/broker-rabbitmq/index.ts';
import { SqliteStore } from '../../adapters/store-sqlite/index.ts';
import type { Broker } from '../../core/broker.ts';
import { silentLogger } from '../../core/logger.ts';
import { createGateway } from '../../gateway/gateway.ts';
import { waitFor } from '../support/inbox.ts';
import { serveGateway } from '../support/serve-gateway.ts';
import { testVhost } from './support/rabbitmq.ts';

const HOUR_MS = 3_600_000;

async function openSession(url: string, token: string): Promise<string> {
  const login = await fetch(`${url}/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  assert.equal(login.status, 201);
  return (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

async function status(url: string, headers: Record<string, string>): Promise<number> {
  const response = await fetch(`${url}/v1/functions`, { headers });
  await response.body?.cancel();
  return response.status;
}

/** `closeBrokers` runs once both gateways have stopped, the store closing after it. */
async function deletedTokenForgottenEverywhere(
  t: TestContext,
  brokers: [Broker, Broker],
  closeBrokers: () => Promise<void>,
): Promise<void> {
  const store = new SqliteStore({ path: ':memory:' });
  await store.init();
  const logger = silentLogger();
  const serve = (broker: Broker) =>
    serveGateway(t, createGateway({ store, broker, logger, tokenCacheTtlMs: HOUR_MS }));
  const first = await serve(brokers[0]);
  const second = await serve(brokers[1]);
  t.after(async () => {
    await closeBrokers();
    await store.close();
  });
  const admin = (await store.createToken('admin', 'ops')).token;
  const { token, record } = await store.createToken('invoke', 'client');
  const kept = (await store.createToken('invoke', 'other client')).token;
  const bearer = (value: string) => ({ authorization: `Bearer ${value}` });
  const session = await openSession(second, token);
  const keptSession = await openSession(second, kept);
  assert.equal(await status(second, bearer(token)), 200, 'now cached by the second gateway');
  assert.equal(await status(second, { cookie: session }), 200);

  const deleted = await fetch(`${first}/v1/tokens/${record.id}`, {
    method: 'DELETE',
    headers: bearer(admin),
  });
  assert.equal(deleted.status, 204);
  await waitFor(async () => (await status(second, { cookie: session })) === 401, {
    what: "the second gateway ending the deleted token's session",
  });
  assert.equal(await status(second, bearer(token)), 401, 'refused long before its cache TTL');
  assert.equal(await status(second, { cookie: keptSession }), 200, 'another token lives on');
  assert.equal(await status(second, bearer(kept)), 200);
}

const AMQP_URL = testVhost();

test('embedded: a deleted token is forgotten by every gateway, sessions included', async (t) => {
  const broker = new EmbeddedBroker({ path: ':memory:', logger: silentLogger() });
  await broker.start();
  await deletedTokenForgottenEverywhere(t, [broker, broker], () => broker.close());
});

test('RabbitMQ: a deleted token is forgotten by every gateway, sessions included', async (t) => {
  const brokers = [0, 1].map(() => new RabbitMqBroker({ url: AMQP_URL, logger: silentLogger() }));
  const [a, b] = brokers;
  assert.ok(a !== undefined && b !== undefined);
  await a.start();
  await b.start();
  await deletedTokenForgottenEverywhere(t, [a, b], async () => {
    await a.close();
    await b.close();
  });
});
