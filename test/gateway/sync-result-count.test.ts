/**
 * A sync result may reach the gateway twice: from its reply, and as the copy a node puts on the
 * results queue when the reply may have come too late. fjord_invocations_total counts it once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InvocationMessage } from '../../core/messages.ts';
import { silentLogger } from '../../core/logger.ts';
import { EventHub } from '../../gateway/events.ts';
import { GatewayMetrics } from '../../gateway/metrics.ts';
import { createResultRecorder } from '../../gateway/result-recorder.ts';
import { waitFor } from '../support/inbox.ts';
import { invoke, resultOf, startHarness, type Harness } from './harness.ts';

/** fjord_invocations_total of `greet` succeeded as an event, as /metrics shows it. */
async function countOf(metrics: GatewayMetrics): Promise<number> {
  const { text } = await metrics.render();
  const line =
    /fjord_invocations_total\{function="greet",status="succeeded",trigger="event"\} (\d+)/;
  return Number(line.exec(text)?.[1] ?? 0);
}

async function scraped(h: Harness): Promise<number> {
  const text = await (await h.request('/metrics', { token: 'invoke' })).text();
  const line =
    /fjord_invocations_total\{function="greet",status="succeeded",trigger="event"\} (\d+)/;
  return Number(line.exec(text)?.[1] ?? 0);
}

/** Runs a sync call the test answers; resolves with its message once the caller has the reply. */
async function answeredCall(h: Harness): Promise<InvocationMessage> {
  const pending = invoke(h, 'greet', '{}', '?wait=true');
  const call = await h.broker.calls.next();
  call.reply(resultOf(call.message, { value: 'ok' }));
  assert.equal((await pending).status, 200);
  return call.message;
}

test('a sync result recorded from its reply and then copied on the results queue counts once', async (t) => {
  const h = await startHarness(t);
  await h.deploy('greet');
  const message = await answeredCall(h);
  await waitFor(async () => (await h.store.getInvocation(message.id)) !== undefined, {
    what: 'the sync call recorded from its reply',
  });
  assert.equal(await scraped(h), 1);
  const copy = resultOf(message, { value: 'ok' });
  await h.broker.publishResult({ type: 'finished', result: copy, sync: true });
  assert.equal(await scraped(h), 1);
});

test('a sync result whose copy came before its reply counts once', async (t) => {
  const h = await startHarness(t);
  await h.deploy('greet');
  const pending = invoke(h, 'greet', '{}', '?wait=true');
  const call = await h.broker.calls.next();
  const result = resultOf(call.message, { value: 'ok' });
  await h.broker.publishResult({ type: 'finished', result, sync: true });
  assert.equal(await scraped(h), 1, 'the copy counts: nobody recorded it before');
  call.reply(result);
  assert.equal((await pending).status, 200);
  await h.gateway.stop(); // waits for the recording from the reply
  assert.equal(await scraped(h), 1);
});

test('a sync copy counts when nobody recorded it, and not at a gateway that finds it recorded', async (t) => {
  const h = await startHarness(t);
  await h.deploy('greet');
  // The caller gave up before the reply: only the copy reaches a gateway.
  const pending = invoke(h, 'greet', '{}', '?wait=true');
  const call = await h.broker.calls.next();
  const result = resultOf(call.message, { value: 'ok' });
  await h.broker.publishResult({ type: 'finished', result, sync: true });
  assert.equal(await scraped(h), 1);
  assert.equal((await h.store.getInvocation(call.message.id))?.status, 'succeeded');
  call.reply(result);
  await pending;

  // Another gateway on the same store gets the copy of a result recorded elsewhere.
  const metrics = new GatewayMetrics(h.broker);
  const record = createResultRecorder(h.store, metrics, new EventHub(silentLogger()));
  await record([{ type: 'finished', result, sync: true }]);
  assert.equal(await countOf(metrics), 0);
  // A result without the mark (an async one) counts each time, as before.
  await record([{ type: 'finished', result }]);
  assert.equal(await countOf(metrics), 1);
});

test('a sync result the store could not write counts once, when recorded from the results queue', async (t) => {
  const h = await startHarness(t);
  await h.deploy('greet');
  const store = h.store as unknown as { recordResults: typeof h.store.recordResults };
  const original = store.recordResults.bind(h.store);
  let failures = 1;
  store.recordResults = (results) =>
    failures-- > 0 ? Promise.reject(new Error('database is locked')) : original(results);
  const message = await answeredCall(h);
  await waitFor(async () => (await h.store.getInvocation(message.id))?.status === 'succeeded', {
    what: 'the sync call recorded through the results queue',
  });
  await h.gateway.stop();
  assert.equal(await scraped(h), 1);
});
