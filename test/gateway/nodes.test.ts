/** `GET /v1/nodes` from heartbeats (running, draining, drained, down) and `POST .../drain`. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ErrorBody, NodeDrainResponse, NodeListResponse } from '../../core/api.ts';
import type { NodeInfo } from '../../core/messages.ts';
import { nodeInfo as node, startHarness, type Harness } from './harness.ts';

async function list(h: Harness): Promise<NodeListResponse['nodes']> {
  const response = await h.request('/v1/nodes', { token: 'invoke' });
  assert.equal(response.status, 200);
  return ((await response.json()) as NodeListResponse).nodes;
}

async function errorCode(response: Response): Promise<string> {
  return ((await response.json()) as ErrorBody).error.code;
}

test('nodes are marked down after three missed heartbeats, and forgotten after sixty', async (t) => {
  let now = 1_000_000;
  const h = await startHarness(t, { heartbeatMs: 1000, now: () => now });
  h.broker.emitControl({ type: 'heartbeat', node: node('node-b') });
  // node-a beats every 10 s: three of its own intervals, not of the gateway's, make it down.
  h.broker.emitControl({ type: 'heartbeat', node: node('node-a', { heartbeatMs: 10_000 }) });
  now += 2500;
  const seen = await list(h);
  assert.deepEqual(
    seen.map((n) => [n.id, n.state, n.lastSeenAgoMs, n.lastSeen]),
    [
      ['node-a', 'running', 2500, new Date(1_000_000).toISOString()],
      ['node-b', 'running', 2500, new Date(1_000_000).toISOString()],
    ],
  );
  now += 1000;
  assert.deepEqual(
    (await list(h)).map((n) => [n.id, n.state]),
    [
      ['node-a', 'running'],
      ['node-b', 'down'],
    ],
  );
  now += 60_000;
  assert.deepEqual(
    (await list(h)).map((n) => [n.id, n.state]),
    [['node-a', 'down']],
  );
});

test('a heartbeat reports capacity, load, warm instances, runtimes and version', async (t) => {
  const h = await startHarness(t);
  const facts: Partial<NodeInfo> = {
    capacity: 12,
    inflight: 3,
    loadAvg: 0.5,
    cpus: 2,
    warm: { isolate: 4, container: 1 },
    runtimes: ['isolate', 'container'],
    version: '1.2.3',
    heartbeatMs: 5000,
  };
  h.broker.emitControl({ type: 'heartbeat', node: node('node-a', facts) });
  const [view] = await list(h);
  assert.ok(view);
  for (const [key, value] of Object.entries(facts)) {
    assert.deepEqual(view[key as keyof typeof view], value, key);
  }
});

test('a draining node shows draining with work in flight, drained without', async (t) => {
  const h = await startHarness(t);
  h.broker.emitControl({
    type: 'heartbeat',
    node: node('node-a', { state: 'draining', inflight: 2 }),
  });
  h.broker.emitControl({ type: 'heartbeat', node: node('node-b', { state: 'draining' }) });
  assert.deepEqual(
    (await list(h)).map((n) => [n.id, n.state]),
    [
      ['node-a', 'draining'],
      ['node-b', 'drained'],
    ],
  );
});

test('POST /v1/nodes/NAME/drain announces a drain to the node, by id or by hostname', async (t) => {
  const h = await startHarness(t);
  h.broker.emitControl({ type: 'heartbeat', node: node('node-a') });
  h.broker.emitControl({ type: 'heartbeat', node: node('node-b') });
  h.broker.emitControl({ type: 'heartbeat', node: node('node-c', { hostname: 'host-c' }) });
  await list(h);

  const drain = await h.request('/v1/nodes/node-a/drain', { method: 'POST', token: 'admin' });
  assert.equal(drain.status, 202);
  const expected: NodeDrainResponse = { nodes: ['node-a'], drain: true };
  assert.deepEqual(await drain.json(), expected);
  const host = await h.request('/v1/nodes/host-a/undrain', { method: 'POST', token: 'admin' });
  assert.equal(host.status, 202);
  assert.deepEqual(await host.json(), {
    nodes: ['node-a', 'node-b'],
    drain: false,
  });
  assert.deepEqual(
    h.broker.announced.filter((e) => e.type === 'drain'),
    [
      { type: 'drain', node: 'node-a', drain: true },
      { type: 'drain', node: 'node-a', drain: false },
      { type: 'drain', node: 'node-b', drain: false },
    ],
  );
});

test('a drain needs an admin token and a node that is known and up', async (t) => {
  let now = 1_000_000;
  const h = await startHarness(t, { heartbeatMs: 1000, now: () => now });
  h.broker.emitControl({ type: 'heartbeat', node: node('node-a') });
  await list(h);
  const post = (path: string, token?: string) =>
    h.request(path, { method: 'POST', ...(token === undefined ? {} : { token }) });

  assert.equal((await post('/v1/nodes/node-a/drain')).status, 401);
  const forbidden = await post('/v1/nodes/node-a/drain', 'deploy');
  assert.equal(forbidden.status, 403);
  assert.equal(await errorCode(forbidden), 'FORBIDDEN');
  const unknown = await post('/v1/nodes/node-z/drain', 'admin');
  assert.equal(unknown.status, 404);
  assert.equal(await errorCode(unknown), 'NODE_NOT_FOUND');
  now += 3001;
  const down = await post('/v1/nodes/node-a/drain', 'admin');
  assert.equal(down.status, 409);
  assert.equal(await errorCode(down), 'NODE_DOWN');
  assert.deepEqual(
    h.broker.announced.filter((e) => e.type === 'drain'),
    [],
  );
});
