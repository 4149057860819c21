/** Event invocations, invocation status, logs, and result recording. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AcceptedResponse, InvocationView, LogListResponse } from '../../core/api.ts';
import { waitFor } from '../support/inbox.ts';
import { errorOf, resultOf, invoke, startHarness } from './harness.ts';

test('an event invocation is accepted with 202 and Location, then queued', async (t) => {
  const h = await startHarness(t);
  await h.deploy('greet');
  const response = await invoke(h, 'greet', '{"who":"fjord"}');
  assert.equal(response.status, 202);
  assert.equal(response.headers.get('content-type'), 'application/json; charset=utf-8');
  const text = await response.text();
  assert.equal(response.headers.get('content-length'), String(Buffer.byteLength(text)));
  const { id } = JSON.parse(text) as AcceptedResponse;
  assert.equal(text, JSON.stringify({ id }), 'the body is the id alone');
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
    headers: { 'content-type': 'application/json' },
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

test('a sync call is recorded by the gateway from its reply, with no result message from the node', async (t) => {
  const h = await startHarness(t);
  await h.deploy('greet');
  const pending = invoke(h, 'greet', '{"who":"b"}', '?wait=true');
  const call = await h.broker.calls.next();
  const logs = [{ ts: 2, level: 'info' as const, message: 'greeting b' }];
  call.reply(resultOf(call.message, { value: { greeting: 'hello b' } }, { logs }));
  assert.equal((await pending).status, 200);

  // Nothing was published on the results queue (the fake broker delivers nothing by itself):
  // the record comes from the reply the gateway got.
  const recorded = await waitFor(
    async () => {
      const response = await h.request(`/v1/invocations/${call.message.id}`, { token: 'invoke' });
      return response.status === 200 ? ((await response.json()) as InvocationView) : undefined;
    },
    { what: 'the sync call to be recorded' },
  );
  assert.equal(recorded.status, 'succeeded');
  assert.deepEqual(recorded.result, { greeting: 'hello b' });
  assert.deepEqual(recorded.logs, logs);
});

test('a sync result the store cannot write goes to the results queue, and is recorded from there', async (t) => {
  const h = await startHarness(t);
  await h.deploy('greet');
  const store = h.store as unknown as { recordResults: typeof h.store.recordResults };
  const original = store.recordResults.bind(h.store);
  let failures = 1;
  store.recordResults = (results) =>
    failures-- > 0 ? Promise.reject(new Error('database is locked')) : original(results);
  const published: string[] = [];
  const publish = h.broker.publishResults.bind(h.broker);
  h.broker.publishResults = (events) => {
    for (const event of events) if (event.type === 'finished') published.push(event.result.id);
    return publish(events);
  };
  const pending = invoke(h, 'greet', '{}', '?wait=true');
  const call = await h.broker.calls.next();
  call.reply(resultOf(call.message, { value: 'ok' }));
  assert.equal((await pending).status, 200);
  await waitFor(
    async () => (await h.store.getInvocation(call.message.id))?.status === 'succeeded',
    {
      what: 'the sync call recorded through the results queue',
    },
  );
  assert.deepEqual(published, [call.message.id]);
});

test('a gateway that stops waits for the sync results it is still recording', async (t) => {
  const h = await startHarness(t);
  await h.deploy('greet');
  const store = h.store as unknown as { recordResults: typeof h.store.recordResults };
  const original = store.recordResults.bind(h.store);
  const held = Promise.withResolvers<void>();
  let writing = false;
  store.recordResults = async (results) => {
    writing = true;
    await held.promise;
    return original(results);
  };
  const pending = invoke(h, 'greet', '{}', '?wait=true');
  const call = await h.broker.calls.next();
  call.reply(resultOf(call.message, { value: 'ok' }));
  assert.equal((await pending).status, 200);
  await waitFor(() => writing, { what: 'the record write to start' });
  let stopped = false;
  const stopping = h.gateway.stop().then(() => (stopped = true));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(stopped, false, 'stop waits for the write under way');
  held.resolve();
  await stopping;
  assert.equal((await h.store.getInvocation(call.message.id))?.status, 'succeeded');
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
  const store = h.store as unknown as { recordResults: typeof h.store.recordResults };
  const original = store.recordResults.bind(h.store);
  store.recordResults = () => Promise.reject(new Error('database is locked'));
  const result = resultOf(
    message,
    { value: 'ok' },
    { logs: [{ ts: 1, level: 'info', message: 'once' }] },
  );
  await assert.rejects(h.broker.publishResult({ type: 'finished', result }), /database is locked/);
  assert.equal((await h.store.getInvocation(id))?.status, 'queued');
  store.recordResults = original;
  await h.broker.publishResult({ type: 'finished', result });
  await h.broker.publishResult({ type: 'finished', result });
  assert.equal((await h.store.getInvocation(id))?.status, 'succeeded');
  assert.equal((await h.store.listLogs('greet', { invocationId: id })).length, 1);
});

test('a burst of results is recorded in one store write, its started report first', async (t) => {
  const h = await startHarness(t);
  await h.deploy('greet');
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    ids.push(((await (await invoke(h, 'greet', '{}')).json()) as AcceptedResponse).id);
  }
  const [a, b, c] = h.broker.enqueued;
  assert.ok(a && b && c);
  const store = h.store as unknown as { recordResults: typeof h.store.recordResults };
  const original = store.recordResults.bind(h.store);
  const writes: number[] = [];
  store.recordResults = (results) => (writes.push(results.length), original(results));
  await h.broker.publishResults([
    { type: 'finished', result: resultOf(a, { value: 1 }) },
    { type: 'started', id: c.id, fn: 'greet', node: 'n1', attempt: 1, startedAt: Date.now() },
    { type: 'finished', result: resultOf(b, { value: 2 }) },
    { type: 'finished', result: resultOf(c, { value: 3 }) },
  ]);
  // The started report splits the burst: what came before it is written before it.
  assert.deepEqual(writes, [1, 2]);
  for (const id of ids) assert.equal((await h.store.getInvocation(id))?.status, 'succeeded');
});
