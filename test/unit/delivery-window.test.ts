/**
 * Spare deliveries (runtime/delivery-window.ts): sized from run and confirm times, none for long
 * runs, changed only when off by half; and an agent on the embedded broker whose results are
 * confirmed slowly takes a prefetch above its slots while never running more than its slots.
 * Runs ahead: short isolate runs get runs sent ahead of free slots, at most a few per slot.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { EmbeddedBroker } from '../../adapters/broker-embedded/index.ts';
import type { Broker } from '../../core/broker.ts';
import type { ExecutionOutcome, Executor } from '../../core/executor.ts';
import { silentLogger } from '../../core/logger.ts';
import type { FunctionSpec, InvocationResult } from '../../core/messages.ts';
import { RuntimeAgent } from '../../runtime/agent.ts';
import {
  DeliveryWindows,
  MAX_AHEAD_PER_SLOT,
  MAX_SPARES,
  sparesFor,
} from '../../runtime/delivery-window.ts';
import { invocation, spec, uniqueName } from '../support/fixtures.ts';
import { Inbox, waitFor } from '../support/inbox.ts';

test('spares are slots x confirm / run, none for long runs, at most MAX_SPARES', () => {
  assert.equal(sparesFor(4, 10, 5), 2);
  assert.equal(sparesFor(4, 1000, 5), 0, 'a long run keeps the prefetch at its slots');
  assert.equal(sparesFor(4, 0.2, 5), MAX_SPARES);
  assert.equal(sparesFor(4, 0, 5), MAX_SPARES, 'a run too short to measure');
  assert.equal(sparesFor(0, 1, 5), 0, 'no slots, no spares');
});

test('the window changes after a warm-up, by half or more, at most every 2 s', () => {
  let now = 0;
  const changes: string[] = [];
  const windows = new DeliveryWindows({ onChange: (fn) => changes.push(fn), now: () => now });
  for (let i = 0; i < 15; i++) windows.observe('fast', 2, 1, 4);
  assert.equal(windows.spares('fast'), 0, 'nothing before 16 runs');
  windows.observe('fast', 2, 1, 4);
  assert.equal(windows.spares('fast'), 8);
  assert.deepEqual(changes, ['fast']);

  // Confirms a little slower: 10 wanted, not off by half of 8: no re-subscription.
  for (let i = 0; i < 50; i++) windows.observe('fast', 2, 1, 5);
  assert.equal(windows.spares('fast'), 8);
  // Runs turn long: 0 wanted, but not within 2 s of the last change.
  for (let i = 0; i < 100; i++) windows.observe('fast', 2, 500, 5);
  assert.equal(windows.spares('fast'), 8);
  now += 2000;
  windows.observe('fast', 2, 500, 5);
  assert.equal(windows.spares('fast'), 0);
  assert.deepEqual(changes, ['fast', 'fast']);

  for (let i = 0; i < 40; i++) windows.observe('slow', 2, 1000, 5);
  assert.equal(windows.spares('slow'), 0);
  windows.forget('fast');
  assert.equal(windows.spares('fast'), 0);
  assert.deepEqual(changes, ['fast', 'fast']);
});

interface WindowRun {
  /** Prefetch of each subscription, in order. */
  prefetches: number[];
  /** Most invocations the executor had at once. */
  most: number;
  capacity: number;
}

/**
 * An agent on the embedded broker whose results are confirmed 20 ms late (RabbitMQ's quorum
 * confirms take milliseconds; the embedded broker's none) runs `total` invocations of a function
 * of `runtime` with 2 slots on an executor that answers at the next turn.
 */
async function runBehindSlowConfirms(
  t: TestContext,
  runtime: FunctionSpec['runtime'],
  total: number,
): Promise<WindowRun> {
  const embedded = new EmbeddedBroker({ path: ':memory:', logger: silentLogger() });
  await embedded.start();
  const prefetches: number[] = [];
  const broker = new Proxy(embedded, {
    get(target, key, receiver): unknown {
      if (key === 'consume') {
        return (fn: string, prefetch: number, handler: Parameters<Broker['consume']>[2]) => {
          prefetches.push(prefetch);
          return target.consume(fn, prefetch, handler);
        };
      }
      if (key === 'publishResults') {
        return async (events: Parameters<Broker['publishResults']>[0]) => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          return target.publishResults(events);
        };
      }
      const value: unknown = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
  const results = new Inbox<InvocationResult>();
  await embedded.consumeResults(async (event) => {
    if (event.type === 'finished') results.push(event.result);
  });
  let running = 0;
  let most = 0;
  const executor: Executor = {
    invoke: async (): Promise<ExecutionOutcome> => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setImmediate(resolve));
      running--;
      return { ok: true, coldStart: false, durationMs: 0, logs: [], value: null };
    },
    evict: async () => undefined,
    stats: () => ({ instances: 0, coldStarts: 0, invocations: 0 }),
    dispose: async () => undefined,
  };
  const fn = spec(uniqueName('window'), { concurrency: 2, runtime });
  const agent = new RuntimeAgent({
    broker,
    executor,
    directory: { list: async () => [fn] },
    logger: silentLogger(),
    nodeId: 'node-w',
    prewarm: 0,
    runtimes: [runtime],
  });
  t.after(async () => {
    await agent.drain(1000);
    await embedded.close();
  });
  await agent.start();
  assert.deepEqual(prefetches, [2], 'the first consumer takes just its slots');

  for (let i = 0; i < total; i++) await embedded.enqueue(invocation(fn.name, i, { fn }));
  await waitFor(() => prefetches.length > 1, { what: 'a re-subscription with spares' });
  for (let i = 0; i < total; i++) assert.equal((await results.next()).status, 'succeeded');
  return { prefetches, most, capacity: agent.info().capacity ?? 0 };
}

test('an agent behind slow confirms holds spare deliveries and still runs at most its slots', async (t) => {
  const run = await runBehindSlowConfirms(t, 'container', 200);
  const grown = run.prefetches[1] ?? 0;
  assert.ok(grown > 2, `prefetch grew above the 2 slots (${run.prefetches.join(' -> ')})`);
  assert.equal(run.most, 2, 'runs never exceeded the slots');
  assert.equal(run.capacity, 2, 'capacity counts slots, not spares');
});

test('short isolate runs are sent ahead of free slots, at most MAX_AHEAD_PER_SLOT per slot', async (t) => {
  const run = await runBehindSlowConfirms(t, 'isolate', 200);
  const ahead = 2 * MAX_AHEAD_PER_SLOT;
  const grown = run.prefetches[1] ?? 0;
  assert.ok(
    grown > 2 + ahead,
    `the prefetch holds the runs ahead (${run.prefetches.join(' -> ')})`,
  );
  assert.ok(run.most > 2, `the executor got runs ahead of the slots (at most ${run.most} at once)`);
  assert.ok(run.most <= 2 + ahead, `at most ${ahead} ahead (${run.most} at once)`);
  assert.equal(run.capacity, 2, 'capacity counts slots, not runs ahead');
});

test('runs ahead start for short runs only, and stop once runs turn long', () => {
  let now = 0;
  const changes: string[] = [];
  const windows = new DeliveryWindows({ onChange: (fn) => changes.push(fn), now: () => now });
  for (let i = 0; i < 16; i++) windows.observe('short', 4, 1, 1);
  assert.equal(windows.ahead('short', 4), 4 * MAX_AHEAD_PER_SLOT);
  for (let i = 0; i < 16; i++) windows.observe('long', 4, 500, 1);
  assert.equal(windows.ahead('long', 4), 0, 'no runs ahead of long runs');
  // Waiting behind the runs ahead makes a short run look longer: not enough to stop them.
  now += 2000;
  for (let i = 0; i < 100; i++) windows.observe('short', 4, 60, 1);
  assert.equal(windows.ahead('short', 4), 4 * MAX_AHEAD_PER_SLOT);
  now += 2000;
  for (let i = 0; i < 100; i++) windows.observe('short', 4, 400, 1);
  assert.equal(windows.ahead('short', 4), 0, 'runs turned long');
  assert.equal(changes.at(-1), 'short');
});
