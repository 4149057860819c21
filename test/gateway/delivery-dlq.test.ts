/** A function's dead-letter queue through the control API: list, show, redrive, purge. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeadLetterDetail, DeadLetterListResponse, InvocationView } from '../../core/api.ts';
import type { DeadLetter, InvocationMessage } from '../../core/messages.ts';
import { accepted, errorOf, resultOf, startHarness, type Harness } from './harness.ts';

const boom = { code: 'FUNCTION_ERROR', message: 'boom', name: 'Error' } as const;

/** Runs the message's last attempt to a failure and gives up on it, as a node would. */
async function kill(h: Harness, message: InvocationMessage, attempt = 3): Promise<DeadLetter> {
  const next = { action: 'dead' } as const;
  const result = { ...resultOf(message, { error: boom }, { attempt }), next };
  await h.broker.publishResult({ type: 'finished', result });
  const letter: DeadLetter = {
    message,
    attempt,
    error: boom,
    node: 'node-a',
    deadAt: 5000,
    ran: true,
  };
  await h.broker.emitDeadLetter(letter);
  return letter;
}

async function dlq(h: Harness, fn: string, query = ''): Promise<DeadLetterListResponse> {
  const response = await h.request(`/v1/functions/${fn}/dlq${query}`, { token: 'invoke' });
  assert.equal(response.status, 200);
  return (await response.json()) as DeadLetterListResponse;
}

function redrive(h: Harness, fn: string, body?: unknown, token = 'deploy'): Promise<Response> {
  return h.request(`/v1/functions/${fn}/dlq/redrive`, {
    method: 'POST',
    token,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

test('a dead letter is listed and shown with its error, payload and attempt history', async (t) => {
  const h = await startHarness(t);
  await h.deploy('job');
  const message = await accepted(h, 'job', { order: 7 });
  await kill(h, message);

  const list = await dlq(h, 'job');
  assert.equal(list.total, 1);
  assert.equal(list.next, undefined);
  const [entry] = list.deadLetters;
  assert.equal(entry?.id, message.id);
  assert.equal(entry.attempt, 3);
  assert.equal(entry.error.code, 'FUNCTION_ERROR');
  assert.equal(entry.error.callId, message.callId);
  assert.equal(entry.deadAt, new Date(5000).toISOString());

  const shown = await h.request(`/v1/functions/job/dlq/${message.id}`, { token: 'invoke' });
  const detail = (await shown.json()) as DeadLetterDetail;
  assert.deepEqual(detail.payload, { kind: 'event', data: { order: 7 } });
  assert.deepEqual(
    detail.history.map((a) => [a.attempt, a.status, a.error?.message]),
    [[3, 'failed', 'boom']],
  );
  const view = await h.request(`/v1/invocations/${message.id}`, { token: 'invoke' });
  assert.equal(((await view.json()) as InvocationView).status, 'dead');

  const missing = await h.request('/v1/functions/job/dlq/nope', { token: 'invoke' });
  assert.equal(missing.status, 404);
  assert.equal((await errorOf(missing)).code, 'DEAD_LETTER_NOT_FOUND');
  const unknown = await h.request('/v1/functions/ghost/dlq', { token: 'invoke' });
  assert.equal((await errorOf(unknown)).code, 'FUNCTION_NOT_FOUND');
  const anonymous = await h.request('/v1/functions/job/dlq');
  assert.equal(anonymous.status, 401);
});

test('the list pages with after and limit', async (t) => {
  const h = await startHarness(t);
  await h.deploy('job');
  for (let i = 0; i < 3; i++) await kill(h, await accepted(h, 'job', i));
  const first = await dlq(h, 'job', '?limit=2');
  assert.equal(first.total, 3);
  assert.equal(first.deadLetters.length, 2);
  assert.ok(first.next !== undefined);
  const second = await dlq(h, 'job', `?after=${first.next}&limit=2`);
  assert.equal(second.deadLetters.length, 1);
  assert.equal(second.next, undefined);
  const bad = await h.request('/v1/functions/job/dlq?limit=many', { token: 'invoke' });
  assert.equal((await errorOf(bad)).code, 'BAD_REQUEST');
});

test('redrive enqueues the active version as the next attempt with a fresh budget', async (t) => {
  const h = await startHarness(t);
  await h.deploy('job');
  const a = await accepted(h, 'job', 'a');
  const b = await accepted(h, 'job', 'b');
  await kill(h, a);
  await kill(h, b);
  await h.deploy('job', { name: 'job', timeoutMs: 3000 }); // the fix: version 2
  const enqueuedBefore = h.broker.enqueued.length;

  const response = await redrive(h, 'job', { ids: [a.id, 'gone'] });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { redriven: 1, missing: ['gone'] });
  const again = h.broker.enqueued.slice(enqueuedBefore);
  assert.equal(again.length, 1);
  assert.equal(again[0]?.id, a.id);
  assert.equal(again[0].fn.version, 2);
  assert.equal(again[0].priorAttempts, 3);
  assert.equal(again[0].redrive?.fromAttempt, 4);
  assert.deepEqual(again[0].payload, a.payload);
  const view = await h.request(`/v1/invocations/${a.id}`, { token: 'invoke' });
  assert.equal(((await view.json()) as InvocationView).status, 'queued');
  assert.deepEqual(
    (await dlq(h, 'job')).deadLetters.map((l) => l.id),
    [b.id],
  );

  const all = await redrive(h, 'job');
  assert.deepEqual(await all.json(), { redriven: 1, missing: [] });
  assert.equal((await dlq(h, 'job')).total, 0);
});

test('redrive and purge need the deploy scope and a well-formed body; purge empties the queue', async (t) => {
  const h = await startHarness(t);
  await h.deploy('job');
  await kill(h, await accepted(h, 'job', 1));
  await kill(h, await accepted(h, 'job', 2));
  assert.equal((await redrive(h, 'job', undefined, 'invoke')).status, 403);
  for (const body of [{ ids: [] }, { ids: 'x' }, { ids: [1] }, [1]]) {
    const response = await redrive(h, 'job', body);
    assert.equal(response.status, 400, JSON.stringify(body));
    assert.equal((await errorOf(response)).code, 'BAD_REQUEST');
  }
  const forbidden = await h.request('/v1/functions/job/dlq', { method: 'DELETE', token: 'invoke' });
  assert.equal(forbidden.status, 403);
  const purged = await h.request('/v1/functions/job/dlq', { method: 'DELETE', token: 'deploy' });
  assert.deepEqual(await purged.json(), { purged: 2 });
  assert.equal((await dlq(h, 'job')).total, 0);
});

test('a broker outage stops a redrive with 503 and keeps the letter', async (t) => {
  const h = await startHarness(t);
  await h.deploy('job');
  const message = await accepted(h, 'job', 1);
  await kill(h, message);
  h.broker.setState('down');
  const response = await redrive(h, 'job', { ids: [message.id] });
  assert.equal(response.status, 503);
  assert.equal((await errorOf(response)).code, 'BROKER_UNAVAILABLE');
  h.broker.setState('up');
  assert.equal((await dlq(h, 'job')).total, 1);
});
