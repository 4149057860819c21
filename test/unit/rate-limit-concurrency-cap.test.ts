/** Cluster-wide concurrency caps: each node's share from the heartbeats it heard, and the gate. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FunctionSpec, NodeInfo } from '../../core/messages.ts';
import { CapGate, ClusterShares } from '../../runtime/concurrency-cap.ts';
import { spec } from '../support/fixtures.ts';

const HEARTBEAT_MS = 1000;

function node(id: string, extra: Partial<NodeInfo> = {}): NodeInfo {
  return {
    id,
    hostname: 'h',
    startedAt: 0,
    state: 'running',
    inflight: 0,
    functions: [],
    heartbeatMs: HEARTBEAT_MS,
    ...extra,
  };
}

/** Shares of one node after a warm-up, hearing `peers`, with the test's clock. */
function sharesOf(nodeId: string, clock: { now: number }, changes: { count: number }) {
  const shares = new ClusterShares({
    nodeId,
    heartbeatMs: HEARTBEAT_MS,
    onChange: () => changes.count++,
    now: () => clock.now,
  });
  shares.start();
  shares.stop(); // the test drives the checks through heard()
  return shares;
}

const capped = (cap: number, concurrency = 100): FunctionSpec =>
  spec('capped', { clusterConcurrency: cap, concurrency });

test('a node takes no capped work until it listened for a heartbeat interval', () => {
  const clock = { now: 0 };
  const changes = { count: 0 };
  const shares = sharesOf('b', clock, changes);
  assert.equal(shares.share(capped(5)), 0);
  assert.equal(shares.share(spec('free', { concurrency: 4 })), 4, 'uncapped: its concurrency');
  clock.now = HEARTBEAT_MS;
  shares.heard(node('b'));
  assert.equal(shares.share(capped(5)), 5, 'alone, the whole cap');
  assert.equal(changes.count, 1, 'the end of the warm-up is a change');
});

test('the shares of the nodes that heard each other add up to the cap', () => {
  const clock = { now: HEARTBEAT_MS };
  const ids = ['n1', 'n2', 'n3'];
  for (const cap of [1, 2, 3, 5, 7, 10]) {
    let sum = 0;
    for (const id of ids) {
      const shares = sharesOf(id, clock, { count: 0 });
      clock.now += HEARTBEAT_MS;
      for (const peer of ids) shares.heard(node(peer));
      const share = shares.share(capped(cap));
      assert.ok(share <= Math.ceil(cap / 3), `${id} takes at most its rounded-up share`);
      sum += share;
    }
    assert.equal(sum, cap, `cap ${cap}`);
  }
});

test('draining, silent and unfit peers leave their share to the others', () => {
  const clock = { now: 0 };
  const changes = { count: 0 };
  const shares = sharesOf('a', clock, changes);
  clock.now = HEARTBEAT_MS;
  shares.heard(node('b'));
  shares.heard(node('c', { runtimes: ['container'] }));
  assert.equal(shares.share(capped(4)), 2, 'c cannot run isolates');
  assert.equal(shares.share(capped(4, 1)), 1, 'never beyond the per-node concurrency');
  const before = changes.count;
  shares.heard(node('b', { state: 'draining' }));
  assert.equal(shares.share(capped(4)), 4);
  assert.ok(changes.count > before, 'a peer that drains is a change');
  shares.heard(node('b'));
  assert.equal(shares.share(capped(4)), 2);
  clock.now += 3 * HEARTBEAT_MS + 1;
  shares.heard(node('a'));
  assert.equal(shares.share(capped(4)), 4, 'b fell silent for three intervals');
});

test('the gate runs at most the limit at once, and refuses when the limit is 0', async () => {
  const gate = new CapGate();
  let limit = 2;
  let running = 0;
  let most = 0;
  const releases: (() => void)[] = [];
  const task = async (): Promise<void> => {
    running++;
    most = Math.max(most, running);
    await new Promise<void>((resolve) => releases.push(resolve));
    running--;
  };
  const refused: number[] = [];
  const runs = [1, 2, 3, 4].map((n) =>
    gate.run(
      'f',
      () => limit,
      task,
      () => refused.push(n),
    ),
  );
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(running, 2);
  limit = 1;
  releases.shift()?.();
  releases.shift()?.();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(running, 1, 'after the limit shrank, one at a time');
  limit = 0;
  gate.wakeAll();
  releases.shift()?.();
  await Promise.all(runs);
  assert.equal(refused.length, 1, 'the waiter left when the share went is refused');
  assert.equal(most, 2);
});
