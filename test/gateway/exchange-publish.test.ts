/**
 * POST /v1/exchanges/NAME/messages on a real embedded broker: a message routed by its
 * Routing-Key into the queue a function's trigger binds, a batch, and the refusals (an exchange
 * no function binds, a key no binding matches, a bad name or key).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NDJSON_TYPE } from '../../core/api.ts';
import { startQueueGateway, type QueueGateway } from '../support/queue-gateway.ts';

async function post(
  g: QueueGateway,
  exchange: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${g.url}/v1/exchanges/${exchange}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${g.token}`, ...headers },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const text = (body: Uint8Array) => Buffer.from(body).toString('utf8');
const code = (body: Record<string, unknown>) => (body.error as { code: string }).code;

test('a message routed by its Routing-Key reaches the bound queue with its headers', async (t) => {
  const g = await startQueueGateway(t, 'orders-created', {
    exchange: 'orders',
    routingKey: 'order.*',
  });
  const sent = await post(g, 'orders', '{"n":1}', {
    'content-type': 'application/json',
    'routing-key': 'order.created',
    'message-header-tenant': 'acme',
  });
  assert.equal(sent.status, 202);
  assert.deepEqual(Object.keys(sent.body).sort(), ['exchange', 'id', 'routingKey']);
  assert.equal(sent.body.exchange, 'orders');
  assert.equal(sent.body.routingKey, 'order.created');
  const message = await g.received.next(10_000, 'the routed message');
  assert.equal(message.id, sent.body.id);
  assert.equal(text(message.body), '{"n":1}');
  assert.deepEqual(message.headers, { tenant: 'acme' });

  const batch = await post(g, 'orders', '{"n":2}\n{"n":3}\n', {
    'content-type': NDJSON_TYPE,
    'routing-key': 'order.paid',
  });
  assert.equal(batch.status, 202);
  const ids = batch.body.ids as string[];
  assert.equal(ids.length, 2);
  for (const [index, id] of ids.entries()) {
    const next = await g.received.next(10_000, `batch message ${index + 1}`);
    assert.equal(next.id, id);
    assert.equal(text(next.body), `{"n":${index + 2}}`);
  }
});

test('no matching binding, an unbound exchange, a bad name or key: refused, nothing published', async (t) => {
  const g = await startQueueGateway(t, 'orders-only', { exchange: 'shop', routingKey: 'order.#' });
  const json = { 'content-type': 'application/json' };
  const unmatched = await post(g, 'shop', '{}', { ...json, 'routing-key': 'invoice.sent' });
  assert.equal(unmatched.status, 404);
  assert.equal(code(unmatched.body), 'QUEUE_NOT_FOUND');
  const noKey = await post(g, 'shop', '{}', json);
  assert.equal(noKey.status, 404, 'the empty key matches no order.# binding');
  const unbound = await post(g, 'elsewhere', '{}', { ...json, 'routing-key': 'order.x' });
  assert.equal(unbound.status, 404);
  assert.equal(code(unbound.body), 'EXCHANGE_NOT_FOUND');
  const badName = await post(g, 'a%20b', '{}', { ...json, 'routing-key': 'order.x' });
  assert.equal(badName.status, 400);
  assert.equal(code(badName.body), 'BAD_REQUEST');
  const longKey = await post(g, 'shop', '{}', {
    ...json,
    'routing-key': 'order.' + 'k'.repeat(250),
  });
  assert.equal(longKey.status, 400);
  assert.match((longKey.body.error as { message: string }).message, /Routing-Key/);
  const badJson = await post(g, 'shop', '{nope', { ...json, 'routing-key': 'order.x' });
  assert.equal(badJson.status, 400);
  assert.equal(code(badJson.body), 'INVALID_JSON');

  const after = await post(g, 'shop', '{"after":true}', { ...json, 'routing-key': 'order.x.y' });
  assert.equal(after.status, 202);
  const next = await g.received.next(10_000, 'the message after the refusals');
  assert.equal(next.id, after.body.id, 'none of the refused messages was published');
});
