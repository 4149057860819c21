import assert from 'node:assert/strict';
import { test } from 'node:test';
import type {
  AcceptedResponse,
  InvocationView,
  LogListResponse,
  NodeListResponse,
} from '../../core/api.ts';
import type { NodeInfo } from '../../core/messages.ts';
import { errorOf, resultOf, startHarness, type Harness } from './harness.ts';

const json = { 'content-type': 'application/json' };

function invoke(h: Harness, name: string, body: string, query = ''): Promise<Response> {
  return h.request(`/v1/functions/${name}/invocations${query}`, {
    method: 'POST',
    token: 'invoke',
    headers: json,
    body,
  });
}

test('an event invocation is accepted with 202 and Location, then queued', async (t) => {
  const h = await startHarness(t);
  await h.deploy('greet');
  const response = await invoke(h, 'greet', '{"who":"fjord"}');
  assert.equal(response.status, 202);
  const { id } = (await response.json()) as AcceptedResponse;
  assert.equal(response.headers.get('location'), `/v1/invocations/${id}`);
  const message = h.broker.enqueued[0];
  assert.deepEqual(message?.payload, { kind: 'event', data: { who: 'fjord' } });
  assert.equal(message.callId, response.headers.get('x-call-id'));
  const view = (await (
    await h.request(`/v1/invocations/${id}`, { token: 'invoke' })
  ).json()) as InvocationView;
  assert.equal(view.status, 'queued');
  assert.equal(view.trigger, 'event');
  assert.equal(view.attempts, 0);
  assert.ok(!Number.isNaN(Date.parse(view.queuedAt)));

  const empty = await invoke(h, 'greet', '');
  assert.equal(empty.status, 202);
  assert.deepEqual(h.broker.enqueued[1]?.payload, { kind: 'event', data: null });
});

test('invocations check the function, the JSON and the scope before queueing', async (t) => {
  const h = await startHarness(t);
  await h.deploy('greet');
  const unknown = await invoke(h, 'nobody', '{}');
  assert.equal(unknown.status, 404);
  assert.equal((await errorOf(unknown)).code, 'FUNCTION_NOT_FOUND');
  const malformed = await invoke(h, 'greet', '{"who":');
  assert.equal(malformed.status, 400);
  assert.equal((await errorOf(malformed)).code, 'INVALID_JSON');
  const node = await h.request('/v1/functions/greet/invocations', {
    method: 'POST',
    token: 'node',
    headers: json,
    body: '{}',
  });
  assert.equal(node.status, 403);
  assert.equal(h.broker.attempted.length, 0);
});

test('?wait=true answers the finished InvocationView, with the status of its error', async (t) => {
  const h = await startHarness(t);
  await h.deploy('greet');
  const pending = invoke(h, 'greet', '{"who":"a"}', '?wait=true');
  const call = await h.broker.calls.next();
  assert.equal(call.message.mode, 'sync');
  call.reply(
    resultOf(
      call.message,
      { value: { greeting: 'hello a' } },
      {
        logs: [{ ts: 1, level: 'info', message: 'greeting a' }],
      },
    ),
  );
  const response = await pending;
  assert.equal(response.status, 200);
  assert.ok(response.headers.get('server-timing')?.startsWith('queue;dur='));
  const view = (await response.json()) as InvocationView;
  assert.equal(view.status, 'succeeded');
  assert.deepEqual(view.result, { greeting: 'hello a' });
  assert.deepEqual(view.logs, [{ ts: 1, level: 'info', message: 'greeting a' }]);
  assert.equal(view.id, call.message.id);

  const failing = invoke(h, 'greet', '{}', '?wait=true');
  const second = await h.broker.calls.next();
  second.reply(
    resultOf(second.message, { error: { code: 'FUNCTION_ERROR', message: 'who is missing' } }),
  );
  const failed = await failing;
  assert.equal(failed.status, 502);
  const failedView = (await failed.json()) as InvocationView;
  assert.equal(failedView.status, 'failed');
  assert.equal(failedView.error?.code, 'FUNCTION_ERROR');
  assert.equal(failedView.error.message, 'who is missing');
});

test('an unknown invocation is 404 INVOCATION_NOT_FOUND', async (t) => {
  const h = await startHarness(t);
  const response = await h.request('/v1/invocations/nope', { token: 'invoke' });
  assert.equal(response.status, 404);
  assert.equal((await errorOf(response)).code, 'INVOCATION_NOT_FOUND');
});

test('logs are listed per function, after a sequence number and per invocation', async (t) => {
  const h = await startHarness(t);
  await h.deploy('greet');
  const ids: string[] = [];
  for (const n of [1, 2]) {
    const { id } = (await (await invoke(h, 'greet', '{}')).json()) as AcceptedResponse;
    ids.push(id);
    const message = h.broker.enqueued.at(-1);
    assert.ok(message);
    await h.broker.publishResult({
      type: 'finished',
      result: resultOf(
        message,
        { value: n },
        {
          logs: [
            { ts: n, level: 'info', message: `run ${n} a` },
            { ts: n, level: 'warn', message: `run ${n} b` },
          ],
        },
      ),
    });
  }
  const list = async (query: string): Promise<LogListResponse> => {
    const response = await h.request(`/v1/functions/greet/logs${query}`, { token: 'invoke' });
    assert.equal(response.status, 200, query);
    return (await response.json()) as LogListResponse;
  };
  const all = await list('');
  assert.deepEqual(
    all.logs.map((l) => l.message),
    ['run 1 a', 'run 1 b', 'run 2 a', 'run 2 b'],
  );
  assert.equal(all.next, all.logs.at(-1)?.seq);
  const after = await list(`?after=${all.logs[1]?.seq}&limit=1`);
  assert.deepEqual(
    after.logs.map((l) => l.message),
    ['run 2 a'],
  );
  const one = await list(`?invocation=${ids[0]}`);
  assert.deepEqual(
    one.logs.map((l) => l.message),
    ['run 1 a', 'run 1 b'],
  );
  const nothingNew = await list(`?after=${all.next}`);
  assert.deepEqual(nothingNew, { logs: [], next: all.next });

  const bad = await h.request('/v1/functions/greet/logs?limit=lots', { token: 'invoke' });
  assert.equal(bad.status, 400);
  const unknown = await h.request('/v1/functions/nobody/logs', { token: 'invoke' });
  assert.equal(unknown.status, 404);

  const view = (await (
    await h.request(`/v1/invocations/${ids[1]}`, { token: 'invoke' })
  ).json()) as InvocationView;
  assert.equal(view.status, 'succeeded');
  assert.equal(view.result, 2);
  assert.deepEqual(
    view.logs.map((l) => l.message),
    ['run 2 a', 'run 2 b'],
  );
});

test('a result the store cannot write is thrown back for redelivery, then recorded once', async (t) => {
  const h = await startHarness(t);
  await h.deploy('greet');
  const { id } = (await (await invoke(h, 'greet', '{}')).json()) as AcceptedResponse;
  const message = h.broker.enqueued[0];
  assert.ok(message);
  const store = h.store as unknown as { recordResult: typeof h.store.recordResult };
  const original = store.recordResult.bind(h.store);
  store.recordResult = () => Promise.reject(new Error('database is locked'));
  const result = resultOf(
    message,
    { value: 'ok' },
    { logs: [{ ts: 1, level: 'info', message: 'once' }] },
  );
  await assert.rejects(h.broker.publishResult({ type: 'finished', result }), /database is locked/);
  assert.equal((await h.store.getInvocation(id))?.status, 'queued');
  store.recordResult = original;
  await h.broker.publishResult({ type: 'finished', result });
  await h.broker.publishResult({ type: 'finished', result });
  assert.equal((await h.store.getInvocation(id))?.status, 'succeeded');
  assert.equal((await h.store.listLogs('greet', { invocationId: id })).length, 1);
});

test('nodes are listed from heartbeats and dropped after three missed ones', async (t) => {
  let now = 1_000_000;
  const h = await startHarness(t, { heartbeatMs: 1000, now: () => now });
  const node = (id: string): NodeInfo => ({
    id,
    hostname: 'host',
    startedAt: 1,
    state: 'running',
    inflight: 0,
    functions: ['greet'],
  });
  h.broker.emitControl({ type: 'heartbeat', node: node('node-b') });
  now += 2000;
  h.broker.emitControl({ type: 'heartbeat', node: node('node-a') });
  const list = async (): Promise<string[]> => {
    const body = (await (
      await h.request('/v1/nodes', { token: 'invoke' })
    ).json()) as NodeListResponse;
    return body.nodes.map((n) => `${n.id}@${n.lastSeen}`);
  };
  assert.deepEqual(await list(), [
    `node-a@${new Date(1_002_000).toISOString()}`,
    `node-b@${new Date(1_000_000).toISOString()}`,
  ]);
  now += 1500;
  assert.deepEqual(await list(), [`node-a@${new Date(1_002_000).toISOString()}`]);
});

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
  const anonymous = await h.request('/metrics');
  assert.equal(anonymous.status, 401);
  const scraped = await h.request('/metrics', { token: 'invoke' });
  assert.match(scraped.headers.get('content-type') ?? '', /^text\/plain/);
  const text = await scraped.text();
  assert.match(text, /fjord_invocations_total\{function="greet",status="succeeded"\} 1/);
  assert.match(text, /fjord_invocations_accepted_total\{function="greet",mode="async"\} 1/);
  assert.match(text, /fjord_invocation_duration_seconds_count\{function="greet"\} 1/);
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
