/** DELETE /v1/invocations/ID, and Idempotency-Key on both kinds of async invocation. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AcceptedResponse, InvocationView } from '../../core/api.ts';
import { errorOf, invoke, resultOf, startHarness, type Harness } from './harness.ts';

function cancel(h: Harness, id: string): Promise<Response> {
  return h.request(`/v1/invocations/${id}`, { method: 'DELETE', token: 'invoke' });
}

async function idOf(response: Response): Promise<string> {
  assert.equal(response.status, 202);
  return ((await response.json()) as AcceptedResponse).id;
}

test('a queued invocation is cancelled, nodes are told, and its late result is not recorded', async (t) => {
  const h = await startHarness(t);
  await h.deploy('job');
  const id = await idOf(await invoke(h, 'job', '{}'));
  const response = await cancel(h, id);
  assert.equal(response.status, 200);
  const view = (await response.json()) as InvocationView;
  assert.equal(view.status, 'cancelled');
  assert.ok(view.endedAt);
  assert.deepEqual(h.broker.announced.at(-1), { type: 'cancelled', fn: 'job', id });

  const message = h.broker.enqueued.find((m) => m.id === id);
  assert.ok(message);
  await h.broker.publishResult({ type: 'finished', result: resultOf(message, { value: 1 }) });
  const after = await h.request(`/v1/invocations/${id}`, { token: 'invoke' });
  assert.equal(((await after.json()) as InvocationView).status, 'cancelled');

  const again = await cancel(h, id);
  assert.equal(again.status, 409);
  assert.equal((await errorOf(again)).code, 'INVOCATION_NOT_CANCELLABLE');
});

test('a running or unknown invocation cannot be cancelled, nor by an anonymous caller', async (t) => {
  const h = await startHarness(t);
  await h.deploy('job');
  const id = await idOf(await invoke(h, 'job', '{}'));
  await h.broker.publishResult({
    type: 'started',
    id,
    fn: 'job',
    node: 'n',
    attempt: 1,
    startedAt: 1,
  });
  const running = await cancel(h, id);
  assert.equal(running.status, 409);
  assert.match((await errorOf(running)).message, /is running/);
  const unknown = await cancel(h, 'no-such-invocation');
  assert.equal(unknown.status, 404);
  assert.equal((await errorOf(unknown)).code, 'INVOCATION_NOT_FOUND');
  const anonymous = await h.request(`/v1/invocations/${id}`, { method: 'DELETE' });
  assert.equal(anonymous.status, 401);
});

test('the same Idempotency-Key answers the first 202 again and enqueues once', async (t) => {
  const h = await startHarness(t);
  await h.deploy('job');
  await h.deploy('other');
  const send = (fn: string, body: string, key = 'order-42'): Promise<Response> =>
    h.request(`/v1/functions/${fn}/invocations`, {
      method: 'POST',
      token: 'invoke',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body,
    });
  const first = await send('job', '{"n":1}');
  const id = await idOf(first);
  assert.equal(first.headers.get('idempotent-replayed'), null);
  const second = await send('job', '{"n":1}');
  assert.equal(await idOf(second), id);
  assert.equal(second.headers.get('location'), `/v1/invocations/${id}`);
  assert.equal(second.headers.get('idempotent-replayed'), 'true');
  assert.equal(h.broker.enqueued.filter((m) => m.fn.name === 'job').length, 1);

  const elsewhere = await idOf(await send('other', '{"n":1}'));
  assert.notEqual(elsewhere, id, 'keys are per function');

  const reused = await send('job', '{"n":2}');
  assert.equal(reused.status, 422);
  assert.equal((await errorOf(reused)).code, 'IDEMPOTENCY_KEY_REUSED');
  for (const bad of ['has space', 'x'.repeat(256), 'ünïcode']) {
    const response = await send('job', '{}', bad);
    assert.equal(response.status, 400, bad);
    assert.equal((await errorOf(response)).code, 'INVALID_IDEMPOTENCY_KEY');
  }
  assert.equal(h.broker.attempted.filter((m) => m.fn.name === 'job').length, 1);

  const sync = h.request('/v1/functions/job/invocations?wait=true', {
    method: 'POST',
    token: 'invoke',
    headers: { 'idempotency-key': 'bad key', 'x-callback-url': 'ftp://x' },
  });
  const call = await h.broker.calls.next();
  call.reply(resultOf(call.message, { value: 1 }));
  assert.equal((await sync).status, 200, 'sync invocations ignore both headers');
});

test('an Idempotency-Key expires after the window, and a failed enqueue does not keep it', async (t) => {
  let now = 1_000_000;
  const h = await startHarness(t, { now: () => now, idempotencyWindowMs: 60_000 });
  await h.deploy('job');
  const async = { prefer: 'respond-async', 'idempotency-key': '"k-1"' };
  const first = await idOf(await h.request('/fn/job/x', { method: 'POST', headers: async }));
  const replay = await h.request('/fn/job/x', { method: 'POST', headers: async });
  assert.equal(await idOf(replay), first);
  assert.equal(replay.headers.get('preference-applied'), 'respond-async');
  const other = await h.request('/fn/job/y', { method: 'POST', headers: async });
  assert.equal(other.status, 422, 'another path is another request');

  now += 60_000;
  const later = await idOf(await h.request('/fn/job/x', { method: 'POST', headers: async }));
  assert.notEqual(later, first);

  const fresh = { prefer: 'respond-async', 'idempotency-key': 'k-2' };
  h.broker.setState('down');
  assert.equal((await h.request('/fn/job', { headers: fresh })).status, 503);
  h.broker.setState('up');
  const retried = await h.request('/fn/job', { headers: fresh });
  assert.equal(retried.status, 202);
  assert.equal(retried.headers.get('idempotent-replayed'), null);
});
