/** `fjord_node_up`, `fjord_node_capacity` and `fjord_node_inflight` on /metrics, from heartbeats. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nodeInfo as node, startHarness, type Harness } from './harness.ts';

/** The node series on /metrics, as `name{labels} value` lines. */
async function nodeSeries(h: Harness): Promise<string[]> {
  const response = await h.request('/metrics', { token: 'invoke' });
  assert.equal(response.status, 200);
  const text = await response.text();
  for (const name of ['fjord_node_up', 'fjord_node_capacity', 'fjord_node_inflight']) {
    assert.match(text, new RegExp(`^# TYPE ${name} gauge$`, 'm'));
  }
  return text.split('\n').filter((line) => /^fjord_node_/.test(line));
}

test('a node is 1 while it heartbeats, 0 once down (capacity and in flight 0), then gone', async (t) => {
  let now = 1_000_000;
  const h = await startHarness(t, { heartbeatMs: 1000, now: () => now });
  assert.deepEqual(await nodeSeries(h), []);
  h.broker.emitControl({ type: 'heartbeat', node: node('node-a', { capacity: 8, inflight: 3 }) });
  h.broker.emitControl({
    type: 'heartbeat',
    node: node('node-b', { hostname: 'host-b', heartbeatMs: 60_000 }),
  });
  assert.deepEqual(await nodeSeries(h), [
    'fjord_node_up{node="node-a",hostname="host-a"} 1',
    'fjord_node_up{node="node-b",hostname="host-b"} 1',
    'fjord_node_capacity{node="node-a",hostname="host-a"} 8',
    'fjord_node_capacity{node="node-b",hostname="host-b"} 0',
    'fjord_node_inflight{node="node-a",hostname="host-a"} 3',
    'fjord_node_inflight{node="node-b",hostname="host-b"} 0',
  ]);

  now += 3500; // node-a missed three of its 1 s heartbeats; node-b beats every minute
  assert.deepEqual(await nodeSeries(h), [
    'fjord_node_up{node="node-a",hostname="host-a"} 0',
    'fjord_node_up{node="node-b",hostname="host-b"} 1',
    'fjord_node_capacity{node="node-a",hostname="host-a"} 0',
    'fjord_node_capacity{node="node-b",hostname="host-b"} 0',
    'fjord_node_inflight{node="node-a",hostname="host-a"} 0',
    'fjord_node_inflight{node="node-b",hostname="host-b"} 0',
  ]);

  now += 60_000; // node-a forgotten: its series end
  assert.deepEqual(await nodeSeries(h), [
    'fjord_node_up{node="node-b",hostname="host-b"} 1',
    'fjord_node_capacity{node="node-b",hostname="host-b"} 0',
    'fjord_node_inflight{node="node-b",hostname="host-b"} 0',
  ]);
});
