/** X-Callback-Url: the final InvocationView is POSTed, retried on failure, and survives a restart. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { test, type TestContext } from 'node:test';
import { SqliteStore } from '../../adapters/store-sqlite/index.ts';
import type { AcceptedResponse, InvocationView } from '../../core/api.ts';
import { silentLogger } from '../../core/logger.ts';
import { createGateway } from '../../gateway/gateway.ts';
import { FakeBroker } from '../support/fake-broker.ts';
import { Inbox, waitFor } from '../support/inbox.ts';
import { errorOf, resultOf, startHarness, type Harness } from './harness.ts';

interface Received {
  headers: IncomingHttpHeaders;
  body: InvocationView;
}

/** A loopback receiver answering with `statuses` in turn (the last one from then on). */
async function receiver(
  t: TestContext,
  statuses: number[],
): Promise<{ url: string; got: Inbox<Received> }> {
  const got = new Inbox<Received>();
  let calls = 0;
  const server = createServer((request, response) => {
    void text(request).then((body) => {
      const status = statuses[Math.min(calls++, statuses.length - 1)] ?? 204;
      response.writeHead(status).end();
      got.push({ headers: request.headers, body: JSON.parse(body) as InvocationView });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/hooks/fjord?tenant=a`, got };
}

const fast = { callbacks: { pollMs: 50, initialDelayMs: 50, maxDelayMs: 100, maxAttempts: 3 } };

async function acceptWithCallback(h: Harness, url: string): Promise<string> {
  const response = await h.request('/v1/functions/job/invocations', {
    method: 'POST',
    token: 'invoke',
    headers: { 'content-type': 'application/json', 'x-callback-url': url, 'x-call-id': 'c-1' },
    body: '{"n":1}',
  });
  assert.equal(response.status, 202);
  return ((await response.json()) as AcceptedResponse).id;
}

async function finish(h: Harness, id: string): Promise<void> {
  const message = h.broker.enqueued.find((m) => m.id === id);
  assert.ok(message);
  await h.broker.publishResult({ type: 'finished', result: resultOf(message, { value: 42 }) });
}

async function viewOf(h: Harness, id: string): Promise<InvocationView> {
  return (await (
    await h.request(`/v1/invocations/${id}`, { token: 'invoke' })
  ).json()) as InvocationView;
}

test('the result is POSTed when the invocation ends, and retried after a 500', async (t) => {
  const { url, got } = await receiver(t, [500, 204]);
  const h = await startHarness(t, fast);
  await h.deploy('job');
  const id = await acceptWithCallback(h, url);
  assert.equal((await viewOf(h, id)).callback?.state, 'waiting');
  await finish(h, id);

  const first = await got.next();
  assert.equal(first.headers['content-type'], 'application/json');
  assert.equal(first.headers['x-call-id'], 'c-1');
  assert.equal(first.headers['x-fjord-invocation-id'], id);
  assert.equal(first.headers['x-fjord-status'], 'succeeded');
  assert.equal(first.headers['x-fjord-attempt'], '1');
  assert.equal(first.headers['x-fjord-callback-attempt'], '1');
  assert.equal(first.body.id, id);
  assert.equal(first.body.result, 42);
  assert.equal(first.body.history?.length, 1);
  const second = await got.next();
  assert.equal(second.headers['x-fjord-callback-attempt'], '2');
  assert.deepEqual(second.body.result, 42);

  const { callback } = await waitFor(
    async () => {
      const view = await viewOf(h, id);
      return view.callback?.state === 'delivered' ? view : undefined;
    },
    { what: 'the callback recorded as delivered' },
  );
  assert.equal(callback?.url, url);
  assert.equal(callback.attempts, 2);
  assert.equal(callback.lastStatus, 204);
  assert.ok(callback.deliveredAt);
});

test('a callback that keeps failing is given up on, and the failure recorded', async (t) => {
  const { url, got } = await receiver(t, [503]);
  const h = await startHarness(t, fast);
  await h.deploy('job');
  const id = await acceptWithCallback(h, url);
  await finish(h, id);
  for (let i = 0; i < 3; i++) await got.next();
  const view = await waitFor(
    async () => {
      const current = await viewOf(h, id);
      return current.callback?.state === 'failed' ? current : undefined;
    },
    { what: 'the callback given up on' },
  );
  assert.equal(view.callback?.attempts, 3);
  assert.equal(view.callback.lastStatus, 503);
  assert.match(view.callback.lastError ?? '', /503/);
  assert.equal(got.size, 0, 'no fourth try');
});

test('X-Callback-Url must be an absolute http(s) URL without credentials', async (t) => {
  const h = await startHarness(t);
  await h.deploy('job');
  for (const url of ['ftp://example.com/x', '/relative', 'http://user:pw@127.0.0.1/x', 'nope']) {
    const response = await h.request('/fn/job', {
      headers: { prefer: 'respond-async', 'x-callback-url': url },
    });
    assert.equal(response.status, 400, url);
    assert.equal((await errorOf(response)).code, 'INVALID_CALLBACK_URL');
  }
  assert.equal(h.broker.attempted.length, 0, 'refused before anything was queued');
});

test('a callback due while no gateway ran is delivered by the next one to start', async (t) => {
  const { url, got } = await receiver(t, [200]);
  const dir = await mkdtemp(join(tmpdir(), 'fjord-callbacks-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = new SqliteStore({ path: join(dir, 'store.db') });
  await store.init();
  t.after(() => store.close());
  await store.createInvocation(
    {
      id: 'inv-1',
      callId: 'call-1',
      fn: 'job',
      version: 1,
      mode: 'async',
      trigger: 'event',
      status: 'queued',
      attempts: 0,
      queuedAt: 1,
    },
    { callbackUrl: url },
  );
  // The result was recorded by a gateway that stopped before it could call back.
  await store.recordResult({
    id: 'inv-1',
    callId: 'call-1',
    fn: 'job',
    version: 1,
    node: 'n',
    attempt: 1,
    status: 'succeeded',
    startedAt: 2,
    endedAt: 3,
    coldStart: false,
    value: 'done',
    logs: [],
  });
  const gateway = createGateway({ store, broker: new FakeBroker(), logger: silentLogger() });
  await gateway.start();
  t.after(() => gateway.stop());
  const received = await got.next();
  assert.equal(received.body.id, 'inv-1');
  assert.equal(received.body.result, 'done');
});

test('a result burst asks the store for due callbacks only when one was registered here', async (t) => {
  const { url, got } = await receiver(t, [204]);
  // No poll within the test: only the wake of a result burst can deliver.
  const h = await startHarness(t, { callbacks: { pollMs: 600_000 } });
  await h.deploy('job');
  let claims = 0;
  const claim = h.store.claimCallbacks.bind(h.store);
  h.store.claimCallbacks = (...args) => {
    claims++;
    return claim(...args);
  };
  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
  await nextTurn();
  const before = claims;

  const plain = await h.request('/v1/functions/job/invocations', {
    method: 'POST',
    token: 'invoke',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  assert.equal(plain.status, 202);
  await finish(h, ((await plain.json()) as AcceptedResponse).id);
  await nextTurn();
  await nextTurn();
  assert.equal(claims, before, 'no callback registered: the burst left the store alone');

  const id = await acceptWithCallback(h, url);
  await finish(h, id);
  const received = await got.next();
  assert.equal(received.body.id, id);
  assert.ok(claims > before);
});
