/**
 * `fn node drain` on the agent, on a real (in-memory) embedded broker with a gated executor: a
 * drained node finishes what it runs, takes nothing new, heartbeats as draining, and consumes
 * again on undrain.
 */
import assert from 'node:assert/strict';
import { setImmediate as flush } from 'node:timers/promises';
import { test, type TestContext } from 'node:test';
import { EmbeddedBroker } from '../../adapters/broker-embedded/index.ts';
import type { ExecutionOutcome, Executor, InvocationContext } from '../../core/executor.ts';
import { silentLogger } from '../../core/logger.ts';
import type { FunctionSpec, InvocationResult, NodeInfo } from '../../core/messages.ts';
import { RuntimeAgent } from '../../runtime/agent.ts';
import { invocation, spec, uniqueName } from '../support/fixtures.ts';
import { Inbox } from '../support/inbox.ts';

/** Holds every invocation until release(); records what it ran. */
class GatedExecutor implements Executor {
  readonly ran: string[] = [];
  readonly started = new Inbox<string>();
  #open = false;
  readonly #waiting: (() => void)[] = [];
  async invoke(_fn: FunctionSpec, _payload: unknown, ctx: InvocationContext) {
    this.ran.push(ctx.id);
    this.started.push(ctx.id);
    if (!this.#open) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    return {
      ok: true,
      value: ctx.id,
      coldStart: false,
      durationMs: 1,
      logs: [],
    } as ExecutionOutcome;
  }
  release(): void {
    this.#open = true;
    for (const resolve of this.#waiting.splice(0)) resolve();
  }
  async evict(): Promise<void> {}
  stats() {
    return { instances: 0, coldStarts: 0, invocations: this.ran.length };
  }
  async dispose(): Promise<void> {}
}

async function setup(t: TestContext, listFails = () => false) {
  const fn = spec(uniqueName(), { concurrency: 2 });
  const broker = new EmbeddedBroker({ path: ':memory:', logger: silentLogger() });
  await broker.start();
  const results = new Inbox<InvocationResult>();
  await broker.consumeResults(async (event) => {
    if (event.type === 'finished') results.push(event.result);
  });
  const beats = new Inbox<NodeInfo>();
  await broker.onControl((event) => {
    if (event.type === 'heartbeat') beats.push(event.node);
  });
  const drained = new Inbox<true>();
  const executor = new GatedExecutor();
  const agent = new RuntimeAgent({
    broker,
    executor,
    directory: {
      list: async () => {
        if (listFails()) throw new Error('gateway unreachable');
        return [fn];
      },
    },
    logger: silentLogger(),
    nodeId: 'node-1',
    resources: { version: '9.9.9', runtimes: ['isolate'], warm: () => ({ isolate: 3 }) },
    onDrained: () => drained.push(true),
  });
  t.after(async () => {
    executor.release();
    await agent.drain(1000);
    await broker.close();
  });
  await agent.start();
  /** The next heartbeat that matches, skipping others. */
  const beat = async (match: (node: NodeInfo) => boolean): Promise<NodeInfo> => {
    for (;;) {
      const node = await beats.next(5000, 'a heartbeat');
      if (match(node)) return node;
    }
  };
  return { fn, broker, agent, executor, results, beat, drained };
}

test('a drained node finishes its work, takes no new work, and consumes again on undrain', async (t) => {
  const { fn, broker, agent, executor, results, beat, drained } = await setup(t);
  const first = await beat(() => true);
  assert.equal(first.state, 'running');
  assert.equal(first.capacity, 2);
  assert.equal(first.version, '9.9.9');
  assert.deepEqual(first.warm, { isolate: 3, container: 0 });
  assert.deepEqual(first.runtimes, ['isolate']);
  assert.deepEqual(first.functions, [fn.name]);

  const running = [invocation(fn.name, 1, { fn }), invocation(fn.name, 2, { fn })];
  for (const message of running) await broker.enqueue(message);
  await executor.started.next();
  await executor.started.next();

  // A drain for another node changes nothing here.
  await broker.announce({ type: 'drain', node: 'node-2', drain: true });
  await flush();
  assert.equal(agent.state, 'running');

  await broker.announce({ type: 'drain', node: 'node-1', drain: true });
  const draining = await beat((n) => n.state === 'draining');
  assert.equal(draining.inflight, 2);
  executor.release();
  await drained.next(5000, 'onDrained');
  const finished = [await results.next(), await results.next()];
  assert.deepEqual(
    finished.map((r) => r.status),
    ['succeeded', 'succeeded'],
  );
  assert.equal(agent.state, 'paused');
  assert.deepEqual(agent.info().functions, []);
  assert.equal(agent.info().capacity, 0);

  // Work queued now goes to whoever else consumes the queue (here the test), never to this node.
  const elsewhere = new Inbox<string>();
  const other = await broker.consume(fn.name, 5, async (delivery) => {
    elsewhere.push(delivery.message.id);
    delivery.ack();
  });
  const later = Array.from({ length: 5 }, (_, i) => invocation(fn.name, i, { fn }));
  for (const message of later) await broker.enqueue(message);
  const taken = await Promise.all(later.map(() => elsewhere.next()));
  assert.deepEqual(taken.sort(), later.map((m) => m.id).sort());
  assert.equal(executor.ran.length, 2);
  await other.cancel();

  await broker.announce({ type: 'drain', node: 'node-1', drain: false });
  await beat((n) => n.state === 'running' && n.capacity === 2);
  const again = invocation(fn.name, 'again', { fn });
  await broker.enqueue(again);
  const result = await results.next();
  assert.equal(result.id, again.id);
  assert.equal(agent.state, 'running');
});

test('an undrain right after a drain leaves the node consuming', async (t) => {
  const { fn, broker, agent, executor, results, drained } = await setup(t);
  executor.release();
  const pausing = agent.pause();
  await agent.resume();
  await pausing;
  assert.equal(agent.state, 'running');
  assert.deepEqual(agent.info().functions, [fn.name]);
  const message = invocation(fn.name, 1, { fn });
  await broker.enqueue(message);
  assert.equal((await results.next()).id, message.id);
  assert.equal(drained.size, 0, 'a drain undone before it finished reports no drained node');
});

test('SIGTERM after a drain stops at once', async (t) => {
  const { agent } = await setup(t);
  await agent.pause();
  assert.equal(await agent.drain(60_000), 0);
  assert.equal(agent.state, 'stopped');
});

test('an undrain that cannot read the function list leaves the node drained', async (t) => {
  let gatewayDown = false;
  const { agent } = await setup(t, () => gatewayDown);
  await agent.pause();
  gatewayDown = true;
  await assert.rejects(agent.resume(), /gateway unreachable/);
  assert.equal(agent.state, 'paused');
  assert.equal(agent.info().state, 'draining');
  gatewayDown = false;
  await agent.resume();
  assert.equal(agent.state, 'running');
  assert.equal(agent.info().capacity, 2);
});
