/** GET /v1/events: server-sent events of one gateway, with auth, heartbeats and back-pressure. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AcceptedResponse } from '../../core/api.ts';
import type { InvocationSummary } from '../../gateway/events.ts';
import { errorOf, invoke, resultOf, startHarness } from '../gateway/harness.ts';
import { waitFor } from '../support/inbox.ts';
import { openSse } from './sse-client.ts';

test('the event stream needs a token of scope invoke', async (t) => {
  const h = await startHarness(t);
  const none = await h.request('/v1/events');
  assert.equal(none.status, 401);
  assert.equal((await errorOf(none)).code, 'UNAUTHORIZED');
  const node = await h.request('/v1/events', { token: 'node' });
  assert.equal(node.status, 403);
  assert.equal((await errorOf(node)).code, 'FORBIDDEN');
  // The gateway's own list of recent invocations is the one subscriber left.
  assert.equal(h.gateway.events.subscribers, 1);
});

test('deploys, invocations and their results arrive as named events', async (t) => {
  const h = await startHarness(t);
  const stream = await openSse(`${h.url}/v1/events`, {
    authorization: `Bearer ${h.tokens.invoke}`,
  });
  t.after(() => stream.close());
  assert.equal(stream.response.status, 200);
  assert.match(stream.response.headers.get('content-type') ?? '', /^text\/event-stream/);
  assert.equal(stream.response.headers.get('cache-control'), 'no-store');
  assert.equal((await stream.messages.next()).event, 'comment');

  await h.deploy('sse-greet');
  const deployed = await stream.next('function');
  assert.deepEqual(JSON.parse(deployed.data), {
    name: 'sse-greet',
    change: 'deployed',
    version: 1,
  });

  const accepted = await invoke(h, 'sse-greet', '{"who":"a"}');
  const { id } = (await accepted.json()) as AcceptedResponse;
  const queued = await stream.next('invocation');
  const queuedData = JSON.parse(queued.data) as InvocationSummary;
  assert.equal(queuedData.id, id);
  assert.equal(queuedData.status, 'queued');
  assert.ok(Number(queued.id) > Number(deployed.id), 'event ids increase');

  const message = h.broker.enqueued[0];
  assert.ok(message);
  await h.broker.publishResult({
    type: 'started',
    id,
    fn: 'sse-greet',
    node: 'node-a',
    attempt: 1,
    startedAt: message.acceptedAt + 1,
  });
  assert.equal(
    (JSON.parse((await stream.next('invocation')).data) as InvocationSummary).status,
    'running',
  );
  await h.broker.publishResult({
    type: 'finished',
    result: resultOf(message, { error: { code: 'FUNCTION_ERROR', message: 'boom' } }),
  });
  const failed = JSON.parse((await stream.next('invocation')).data) as InvocationSummary;
  assert.equal(failed.status, 'failed');
  assert.equal(failed.durationMs, 7);
  assert.deepEqual(failed.error, { code: 'FUNCTION_ERROR', message: 'boom' });

  h.broker.emitControl({
    type: 'heartbeat',
    node: {
      id: 'node-a',
      hostname: 'host-a',
      startedAt: 1,
      state: 'running',
      inflight: 2,
      functions: ['sse-greet'],
    },
  });
  const node = JSON.parse((await stream.next('node')).data) as { id: string; up: boolean };
  assert.equal(node.id, 'node-a');
  assert.equal(node.up, true);
  stream.close();
  await stream.ended;
});

test('stopping the gateway ends its event streams', async (t) => {
  const h = await startHarness(t);
  const stream = await openSse(`${h.url}/v1/events`, {
    authorization: `Bearer ${h.tokens.invoke}`,
  });
  assert.equal((await stream.messages.next()).event, 'comment');
  await h.gateway.stop();
  await stream.ended;
  assert.equal(h.gateway.events.subscribers, 0);
  // Once stopping, a new stream is told not to reconnect here (204), on a closing connection.
  const late = await h.request('/v1/events', { token: 'invoke' });
  assert.equal(late.status, 204);
  assert.equal(late.headers.get('connection'), 'close');
});

test('a closed stream unsubscribes, and idle streams get heartbeat comments', async (t) => {
  const h = await startHarness(t, { dashboard: { eventHeartbeatMs: 20 } });
  const before = h.gateway.events.subscribers;
  const stream = await openSse(`${h.url}/v1/events`, {
    authorization: `Bearer ${h.tokens.invoke}`,
  });
  assert.equal(h.gateway.events.subscribers, before + 1);
  const comments = new Set<string>();
  await waitFor(
    async () => {
      const message = await stream.messages.next();
      comments.add(message.data);
      return comments.has('heartbeat');
    },
    { what: 'a heartbeat comment' },
  );
  stream.close();
  await stream.ended;
  await waitFor(() => h.gateway.events.subscribers === before, {
    what: 'the subscription to end',
  });
});

test('a client that does not read is disconnected once its buffer is full', async (t) => {
  const bufferBytes = 256 * 1024;
  const h = await startHarness(t, { dashboard: { eventBufferBytes: bufferBytes } });
  const before = h.gateway.events.subscribers;
  const stream = await openSse(`${h.url}/v1/events`, {
    authorization: `Bearer ${h.tokens.invoke}`,
  });
  // The test reads nothing more: events pile up in the socket buffers, then in the gateway's.
  const big = 'x'.repeat(64 * 1024);
  for (let i = 0; i < 1024 && h.gateway.events.subscribers > before; i++) {
    h.gateway.events.publish({ type: 'dead-letter', data: { fn: big, id: String(i), code: 'X' } });
  }
  assert.equal(h.gateway.events.subscribers, before, 'the slow client was dropped');
  assert.ok(h.logLines.some((line) => line.includes('event stream client too slow')));
  await stream.ended;
});
