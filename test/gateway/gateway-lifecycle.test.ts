/** What the gateway learns from the control fanout, its metrics, and its start/stop lifecycle. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resultOf, invoke, startHarness } from './harness.ts';

test('a deploy announced by another gateway is used at once despite the cache', async (t) => {
  const h = await startHarness(t, { functionCacheTtlMs: 60_000 });
  await h.deploy('greet');
  await invoke(h, 'greet', '{}');
  assert.equal(h.broker.enqueued[0]?.fn.version, 1);
  // Another gateway writes version 2 to the shared store and announces it.
  const manifest = (await h.store.getFunction('greet'))?.active.manifest;
  assert.ok(manifest);
  const v2 = await h.store.createVersion(manifest, 'var __fjord_module = {}; // v2');
  h.broker.emitControl({
    type: 'deployed',
    fn: {
      ...(h.broker.enqueued[0]?.fn ?? assert.fail()),
      version: v2.version,
      bundleSha: v2.bundleSha,
    },
  });
  await invoke(h, 'greet', '{}');
  assert.equal(h.broker.enqueued[1]?.fn.version, 2);
  assert.equal(h.broker.enqueued[1]?.fn.bundleSha, v2.bundleSha);
});

test('/metrics exposes invocation counts, durations and broker state', async (t) => {
  const h = await startHarness(t);
  await h.deploy('greet');
  await invoke(h, 'greet', '{}');
  const message = h.broker.enqueued[0];
  assert.ok(message);
  await h.broker.publishResult({ type: 'finished', result: resultOf(message, { value: 1 }) });
  const batch = {
    ...resultOf(message, { value: 1 }),
    id: 'queue-batch',
    trigger: 'queue' as const,
  };
  await h.broker.publishResult({ type: 'finished', result: batch });
  const anonymous = await h.request('/metrics');
  assert.equal(anonymous.status, 401);
  const scraped = await h.request('/metrics', { token: 'invoke' });
  assert.match(scraped.headers.get('content-type') ?? '', /^text\/plain/);
  const text = await scraped.text();
  assert.match(
    text,
    /fjord_invocations_total\{function="greet",status="succeeded",trigger="event"\} 1/,
  );
  assert.match(
    text,
    /fjord_invocations_total\{function="greet",status="succeeded",trigger="queue"\} 1/,
  );
  assert.match(text, /fjord_invocations_accepted_total\{function="greet",mode="async"\} 1/);
  assert.match(text, /fjord_invocation_duration_seconds_count\{function="greet"\} 2/);
  assert.match(text, /fjord_broker_up 1/);
  h.broker.setState('down');
  assert.match(
    await (await h.request('/metrics', { token: 'invoke' })).text(),
    /fjord_broker_up 0/,
  );
});

test('stop() cancels the result and control subscriptions', async (t) => {
  const h = await startHarness(t);
  assert.equal(h.gateway.state, 'running');
  assert.equal(h.broker.resultSubscribers, 1);
  assert.equal(h.broker.controlSubscribers, 1);
  await h.gateway.stop();
  assert.equal(h.gateway.state, 'stopped');
  assert.equal(h.broker.resultSubscribers, 0);
  assert.equal(h.broker.controlSubscribers, 0);
  await h.gateway.stop();
});
