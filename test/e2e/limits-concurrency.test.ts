/**
 * A cluster-wide concurrency cap (fn.json limits.concurrency) with two runtime agents on one
 * embedded broker: they hear each other's heartbeats, split the cap, and together never run
 * more than it. The executor holds every invocation until the test releases it, and counts how
 * many run at once across both nodes.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { EmbeddedBroker } from '../../adapters/broker-embedded/index.ts';
import type { ExecutionOutcome, Executor } from '../../core/executor.ts';
import { silentLogger } from '../../core/logger.ts';
import type { FunctionSpec, InvocationResult } from '../../core/messages.ts';
import { RuntimeAgent } from '../../runtime/agent.ts';
import { invocation, spec, uniqueName } from '../support/fixtures.ts';
import { Inbox, waitFor } from '../support/inbox.ts';

const CAP = 3;
const HEARTBEAT_MS = 100;

/** Invocations running across both nodes, the most seen at once, and how to end one. */
class Holding {
  running = 0;
  most = 0;
  readonly byNode = new Map<string, number>();
  readonly held = new Inbox<() => void>();
  /** Every release handed out, for the cleanup (releasing twice is harmless). */
  readonly all: (() => void)[] = [];

  executor(node: string): Executor {
    return {
      invoke: async (): Promise<ExecutionOutcome> => {
        this.running++;
        this.most = Math.max(this.most, this.running);
        this.byNode.set(node, (this.byNode.get(node) ?? 0) + 1);
        await new Promise<void>((resolve) => {
          this.held.push(resolve);
          this.all.push(resolve);
        });
        this.running--;
        return { ok: true, coldStart: false, durationMs: 1, logs: [], value: null };
      },
      evict: async () => undefined,
      stats: () => ({ instances: 0, coldStarts: 0, invocations: 0 }),
      dispose: async () => undefined,
    };
  }
}

async function twoNodes(t: TestContext, fn: FunctionSpec) {
  const broker = new EmbeddedBroker({ path: ':memory:', logger: silentLogger() });
  await broker.start();
  const results = new Inbox<InvocationResult>();
  await broker.consumeResults(async (event) => {
    if (event.type === 'finished') results.push(event.result);
  });
  const holding = new Holding();
  const agents = ['node-a', 'node-b'].map(
    (nodeId) =>
      new RuntimeAgent({
        broker,
        executor: holding.executor(nodeId),
        directory: { list: async () => [fn] },
        logger: silentLogger(),
        nodeId,
        heartbeatMs: HEARTBEAT_MS,
      }),
  );
  t.after(async () => {
    for (const release of holding.all) release();
    await Promise.all(agents.map((agent) => agent.drain(1000)));
    await broker.close();
  });
  for (const agent of agents) await agent.start();
  return { broker, agents, holding, results };
}

/** The prefetch each agent took for `fn`, once both heard each other: the shares of the cap. */
function capacities(agents: RuntimeAgent[]): number[] {
  return agents.map((agent) => agent.info().capacity ?? 0);
}

test('two nodes split a cluster-wide cap and never run more than it at once', async (t) => {
  const fn = spec(uniqueName('cap'), { concurrency: 4, clusterConcurrency: CAP });
  const { broker, agents, holding, results } = await twoNodes(t, fn);
  await waitFor(() => capacities(agents).join() === '2,1', { what: 'shares 2 and 1' });

  const total = 12;
  for (let i = 0; i < total; i++) await broker.enqueue(invocation(fn.name, i, { fn }));
  // Whenever CAP run, end one: the next may start only then. A node over its share would show
  // up in `most` at any of these points.
  for (let done = 0; done < total; done++) {
    const expected = Math.min(CAP, total - done);
    await waitFor(() => holding.running === expected, { what: `${expected} running` });
    assert.equal(holding.held.size, expected);
    (await holding.held.next())();
    await results.next();
  }
  assert.equal(holding.most, CAP, 'the cap was reached and never exceeded');
  assert.ok((holding.byNode.get('node-a') ?? 0) > 0, 'node-a ran its share');
  assert.ok((holding.byNode.get('node-b') ?? 0) > 0, 'node-b ran its share');
});

test('a node that drains leaves its share to the other', async (t) => {
  const fn = spec(uniqueName('cap'), { concurrency: 4, clusterConcurrency: CAP });
  const { broker, agents, holding } = await twoNodes(t, fn);
  await waitFor(() => capacities(agents).join() === '2,1', { what: 'shares 2 and 1' });
  const [a, b] = agents;
  assert.ok(a !== undefined && b !== undefined);
  await a.pause();
  await waitFor(() => b.info().capacity === CAP, { what: 'node-b to take the whole cap' });

  for (let i = 0; i < CAP + 1; i++) await broker.enqueue(invocation(fn.name, i, { fn }));
  await waitFor(() => holding.running === CAP, { what: `${CAP} running on node-b` });
  assert.equal(holding.byNode.get('node-b'), CAP);
  assert.equal(holding.byNode.get('node-a'), undefined);
});
