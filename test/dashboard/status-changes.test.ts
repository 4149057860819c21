/**
 * Status changes made outside the result path (a cancel, a redrive) reach the live events and
 * `GET /v1/overview`, and what follows a redrive is shown as it happens.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InvocationView } from '../../core/api.ts';
import type { InvocationStatus } from '../../core/store.ts';
import type { InvocationSummary, OverviewResponse } from '../../gateway/dashboard/wire.ts';
import { accepted, resultOf, startHarness, type Harness } from '../gateway/harness.ts';
import { waitFor } from '../support/inbox.ts';
import { openSse, type SseStream } from './sse-client.ts';

const boom = { code: 'FUNCTION_ERROR', message: 'boom', name: 'Error' } as const;

/**
 * Runs `body` with the gateway's event stream open, and closes it at the end: the server, which
 * closes first when the test ends, would wait for it.
 */
async function withEvents(h: Harness, body: (stream: SseStream) => Promise<void>): Promise<void> {
  const stream = await openSse(`${h.url}/v1/events`, {
    authorization: `Bearer ${h.tokens.invoke}`,
  });
  try {
    assert.equal(stream.response.status, 200);
    await body(stream);
  } finally {
    stream.close();
  }
}

/** The next invocation event of `id` on the stream. */
async function nextOf(stream: SseStream, id: string): Promise<InvocationSummary> {
  for (;;) {
    const data = JSON.parse((await stream.next('invocation')).data) as InvocationSummary;
    if (data.id === id) return data;
  }
}

/** The overview's summary of `id` once it reads `status`; fails at the deadline otherwise. */
async function overviewReads(
  h: Harness,
  id: string,
  status: InvocationStatus,
): Promise<InvocationSummary> {
  return waitFor(async () => {
    const response = await h.request('/v1/overview', { token: 'invoke' });
    const body = (await response.json()) as OverviewResponse;
    const summary = body.invocations.find((i) => i.id === id);
    return summary?.status === status && summary;
  });
}

test('a cancel shows in the events and the overview, and a late result does not undo it', async (t) => {
  const h = await startHarness(t);
  await withEvents(h, async (stream) => {
    await h.deploy('st-cancel');
    const message = await accepted(h, 'st-cancel');
    const retry = { action: 'retry', at: Date.now() + 60_000 } as const;
    await h.broker.publishResult({
      type: 'finished',
      result: { ...resultOf(message, { error: boom }), next: retry },
    });
    await overviewReads(h, message.id, 'retrying');

    const response = await h.request(`/v1/invocations/${message.id}`, {
      method: 'DELETE',
      token: 'invoke',
    });
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as InvocationView).status, 'cancelled');
    let event = await nextOf(stream, message.id);
    while (event.status !== 'cancelled') event = await nextOf(stream, message.id);
    assert.deepEqual([event.fn, event.attempts, event.version], ['st-cancel', 1, 1]);
    assert.equal((await overviewReads(h, message.id, 'cancelled')).attempts, 1);

    // A node that missed the announcement runs it anyway; its result is not recorded, nor shown
    // (publishResult resolves once the gateway recorded it and updated its summaries).
    const late = resultOf(message, { value: 1 }, { attempt: 2 });
    await h.broker.publishResult({ type: 'finished', result: late });
    const overview = (await (
      await h.request('/v1/overview', { token: 'invoke' })
    ).json()) as OverviewResponse;
    const summary = overview.invocations.find((i) => i.id === message.id);
    assert.equal(summary?.status, 'cancelled');
    assert.equal((await h.store.getInvocation(message.id))?.status, 'cancelled');
  });
});

test('a redrive shows queued with the active version, and its success reads succeeded', async (t) => {
  const h = await startHarness(t);
  await withEvents(h, async (stream) => {
    await h.deploy('st-redrive');
    const message = await accepted(h, 'st-redrive');
    const dead = {
      ...resultOf(message, { error: boom }, { attempt: 3 }),
      next: { action: 'dead' as const },
    };
    await h.broker.publishResult({ type: 'finished', result: dead } as const);
    const letter = { message, attempt: 3, error: boom, node: 'node-a', deadAt: 5000, ran: true };
    await h.broker.emitDeadLetter(letter);
    await overviewReads(h, message.id, 'dead');
    let event = await nextOf(stream, message.id);
    while (event.status !== 'dead') event = await nextOf(stream, message.id);
    await h.deploy('st-redrive', { name: 'st-redrive', timeoutMs: 3000 }); // the fix: version 2

    const redriven = await h.request('/v1/functions/st-redrive/dlq/redrive', {
      method: 'POST',
      token: 'deploy',
    });
    assert.deepEqual(await redriven.json(), { redriven: 1, missing: [] });
    event = await nextOf(stream, message.id);
    assert.deepEqual([event.status, event.attempts, event.version], ['queued', 3, 2]);
    assert.equal((await overviewReads(h, message.id, 'queued')).version, 2);
    // A copy of the redriven letter (at-least-once delivery) is ignored by the store: no event.
    await h.broker.emitDeadLetter(letter);
    const overview = (await (
      await h.request('/v1/overview', { token: 'invoke' })
    ).json()) as OverviewResponse;
    assert.equal(overview.invocations.find((i) => i.id === message.id)?.status, 'queued');

    const again = h.broker.enqueued.at(-1);
    assert.equal(again?.id, message.id);
    const startedAt = Date.now();
    await h.broker.publishResult({
      type: 'started',
      id: message.id,
      fn: 'st-redrive',
      node: 'node-b',
      attempt: 4,
      startedAt,
    });
    assert.equal((await nextOf(stream, message.id)).status, 'running');
    await overviewReads(h, message.id, 'running');
    const result = resultOf(again, { value: 'fixed' }, { attempt: 4, startedAt });
    await h.broker.publishResult({ type: 'finished', result });
    const done = await overviewReads(h, message.id, 'succeeded');
    assert.deepEqual([done.attempts, done.version], [4, 2]);
    const view = await h.request(`/v1/invocations/${message.id}`, { token: 'invoke' });
    const record = (await view.json()) as InvocationView;
    assert.deepEqual([record.status, record.version], ['succeeded', 2]);
  });
});
