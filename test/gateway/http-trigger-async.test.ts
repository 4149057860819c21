/**
 * Prefer: respond-async and broker outages: 202 only after the broker confirmed, no phantom
 * records, and results recorded whatever order they arrive in.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AcceptedResponse, InvocationView } from '../../core/api.ts';
import { FjordError } from '../../core/errors.ts';
import { waitFor } from '../support/inbox.ts';
import { errorOf, httpRequestOf, resultOf, startHarness } from './harness.ts';

test('a broker outage is 503, sync or async, and leaves no invocation record', async (t) => {
  const h = await startHarness(t);
  await h.deploy('hello');
  h.broker.setState('down');
  const sync = await h.request('/fn/hello');
  assert.equal(sync.status, 503);
  assert.equal((await errorOf(sync)).code, 'BROKER_UNAVAILABLE');
  const asynchronous = await h.request('/fn/hello', { headers: { prefer: 'respond-async' } });
  assert.equal(asynchronous.status, 503);
  assert.equal(h.broker.enqueued.length, 0);

  // An adapter that says it is up but fails to confirm: still 503, still no record.
  h.broker.setState('up');
  h.broker.beforeConfirm = () =>
    Promise.reject(new FjordError('BROKER_UNAVAILABLE', 'confirm lost'));
  const unconfirmed = await h.request('/fn/hello', { headers: { prefer: 'respond-async' } });
  assert.equal(unconfirmed.status, 503);
  const tried = h.broker.attempted.at(-1);
  assert.ok(tried);
  assert.equal(await h.store.getInvocation(tried.id), undefined, 'no phantom queued record');
});

test('Prefer: respond-async answers 202 only once the broker confirmed, then records the result', async (t) => {
  const h = await startHarness(t);
  await h.deploy('hello');
  let release!: () => void;
  const confirmed = new Promise<void>((resolve) => (release = resolve));
  h.broker.beforeConfirm = () => confirmed;
  let answered = false;
  const pending = h
    .request('/fn/hello/job?n=1', {
      method: 'POST',
      headers: { prefer: 'wait=5, respond-async', 'x-call-id': 'async-call' },
      body: 'payload',
    })
    .then((response) => {
      answered = true;
      return response;
    });
  await waitFor(() => h.broker.attempted.length === 1, { what: 'enqueue attempt' });
  assert.equal(answered, false, 'no answer before the broker confirmed');
  release();
  const response = await pending;
  assert.equal(response.status, 202);
  assert.equal(response.headers.get('preference-applied'), 'respond-async');
  const { id } = (await response.json()) as AcceptedResponse;
  assert.equal(response.headers.get('location'), `/v1/invocations/${id}`);
  const message = h.broker.enqueued[0];
  assert.equal(message?.id, id);
  assert.equal(message.mode, 'async');
  assert.equal(message.replyBy, undefined);
  assert.equal(httpRequestOf(message).url.replace(/^http:\/\/[^/]+/, ''), '/job?n=1');

  const view = async (): Promise<InvocationView> =>
    (await (
      await h.request(`/v1/invocations/${id}`, { token: 'invoke' })
    ).json()) as InvocationView;
  const queued = await view();
  assert.equal(queued.status, 'queued');
  assert.equal(queued.callId, 'async-call');
  assert.equal(queued.trigger, 'http');

  await h.broker.publishResult({
    type: 'started',
    id,
    fn: 'hello',
    node: 'node-a',
    attempt: 1,
    startedAt: Date.now(),
  });
  assert.equal((await view()).status, 'running');
  await h.broker.publishResult({
    type: 'finished',
    result: resultOf(
      message,
      { response: { status: 200, headers: [['content-type', 'text/plain']], body: 'b2s=' } },
      { logs: [{ ts: Date.now(), level: 'info', message: 'processed job 1' }] },
    ),
  });
  const done = await waitFor(async () => {
    const current = await view();
    return current.status === 'succeeded' && current;
  });
  assert.equal(done.mode, 'async');
  assert.equal(done.node, 'node-a');
  assert.deepEqual(
    done.logs.map((l) => [l.level, l.message]),
    [['info', 'processed job 1']],
  );
  assert.deepEqual(done.result, {
    status: 200,
    headers: [['content-type', 'text/plain']],
    bodySize: 2,
  });
});

test('a result that overtakes the acceptance record is kept', async (t) => {
  const h = await startHarness(t);
  await h.deploy('hello');
  h.broker.beforeConfirm = async (message) => {
    await h.broker.publishResult({
      type: 'finished',
      result: resultOf(message, { response: { status: 204, headers: [] } }),
    });
  };
  const response = await h.request('/fn/hello', { headers: { prefer: 'respond-async' } });
  assert.equal(response.status, 202);
  const { id } = (await response.json()) as AcceptedResponse;
  const record = await h.store.getInvocation(id);
  assert.equal(record?.status, 'succeeded');
  assert.equal(record.mode, 'async', 'acceptance facts filled in afterwards');
});
