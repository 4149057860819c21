import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { EmbeddedBroker } from '../../adapters/broker-embedded/index.ts';
import { silentLogger } from '../../core/logger.ts';
import type { InvocationResult } from '../../core/messages.ts';
import { RuntimeAgent } from '../../runtime/agent.ts';
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import { FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
import {
  errorOf,
  eventPayload,
  invocationContext,
  valueOf,
} from '../fixtures/bundles/invocations.ts';
import { invocation, uniqueName } from '../support/fixtures.ts';
import { Inbox, waitFor } from '../support/inbox.ts';

describe('isolate executor: prewarmed isolates', () => {
  const fixtures = new FixtureBundles();
  let executor: IsolateExecutor;

  beforeEach(() => {
    executor = new IsolateExecutor({ loadCode: fixtures.load });
  });
  afterEach(() => executor.dispose());

  test('after a prewarm the first invocation is warm', async () => {
    const fn = await fixtures.spec('counter', { concurrency: 1 });
    await executor.prewarm(fn, 1);
    assert.deepEqual(executor.stats(), { instances: 1, coldStarts: 0, invocations: 0 });

    const outcome = await executor.invoke(fn, eventPayload(null), invocationContext());
    assert.equal(valueOf(outcome), 1, 'the module was loaded once, by the prewarm');
    assert.equal(outcome.coldStart, false);
    assert.deepEqual(executor.stats(), { instances: 1, coldStarts: 0, invocations: 1 });
  });

  test('a prewarm never starts more isolates than the function concurrency', async () => {
    const fn = await fixtures.spec('counter', { concurrency: 2 });
    await executor.prewarm(fn, 5);
    assert.equal(executor.stats().instances, 2);
  });

  test('an invocation waiting for the only slot gets the isolate being prewarmed', async () => {
    const fn = await fixtures.spec('counter', { concurrency: 1 });
    const prewarming = executor.prewarm(fn, 1);
    const outcome = await executor.invoke(fn, eventPayload(null), invocationContext());
    await prewarming;
    assert.equal(valueOf(outcome), 1);
    assert.equal(outcome.coldStart, false);
    assert.equal(executor.stats().instances, 1);
  });

  test('a consumed warm isolate is replaced in the background, within the concurrency', async () => {
    const fn = await fixtures.spec('counter', { concurrency: 2 });
    await executor.prewarm(fn, 1);
    const first = await executor.invoke(fn, eventPayload(null), invocationContext());
    assert.equal(first.coldStart, false);
    await waitFor(() => executor.stats().instances === 2, { what: 'a second isolate booting' });
    await executor.prewarm(fn, 1); // Waits for that boot to end.

    const both = await Promise.all([
      executor.invoke(fn, eventPayload(null), invocationContext()),
      executor.invoke(fn, eventPayload(null), invocationContext()),
    ]);
    assert.deepEqual(
      both.map((o) => o.coldStart),
      [false, false],
    );
    assert.deepEqual(both.map(valueOf).sort(), [1, 2], 'one new isolate, one used before');
    assert.equal(executor.stats().instances, 2, 'no isolate beyond the concurrency');
    assert.equal(executor.stats().coldStarts, 0);
  });

  test('a prewarm of a broken bundle leaves invocations to report the real error', async () => {
    const fn = fixtures.specForCode('broken', 'var __fjord_module = {;');
    await executor.prewarm(fn, 1);
    assert.equal(executor.stats().instances, 0, 'the failed isolate was disposed');

    for (let i = 0; i < 2; i++) {
      const outcome = await executor.invoke(fn, eventPayload(null), invocationContext());
      const error = errorOf(outcome);
      assert.equal(error.code, 'BUNDLE_REJECTED');
      assert.match(error.message, /does not compile/);
      assert.equal(outcome.coldStart, true);
    }
  });

  test('a prewarm of a module that throws while loading fails each invocation with it', async () => {
    const fn = await fixtures.spec('init-throws');
    await executor.prewarm(fn, 1);
    const error = errorOf(await executor.invoke(fn, eventPayload(null), invocationContext()));
    assert.equal(error.code, 'FUNCTION_ERROR');
    assert.match(error.message, /module init failed on purpose/);
    assert.equal(executor.stats().instances, 0);
  });

  test('idle reaping stops at the prewarm floor; a floor of 0 reaps to empty', async () => {
    // Reaped after 1 ms idle: each reaper round (every second) finds every idle isolate stale.
    const reaping = new IsolateExecutor({ loadCode: fixtures.load, idleTimeoutMs: 1 });
    try {
      const fn = await fixtures.spec('counter', { concurrency: 3 });
      await reaping.prewarm(fn, 1);
      await Promise.all(
        [1, 2, 3].map(() => reaping.invoke(fn, eventPayload(null), invocationContext())),
      );
      await reaping.prewarm(fn, 1); // Waits for the isolate booting to replace the one taken.
      // Nothing is busy or booting now: a round that ignored the floor would reap to 0 at once.
      await waitFor(() => reaping.stats().instances <= 1, { what: 'a reaper round' });
      assert.equal(reaping.stats().instances, 1, 'reaping stops at the floor');
      const warm = await reaping.invoke(fn, eventPayload(null), invocationContext());
      assert.equal(warm.coldStart, false, 'the isolate kept by the floor took the invocation');

      await reaping.prewarm(fn, 0);
      await waitFor(() => reaping.stats().instances === 0, { what: 'reaping to empty' });
      const cold = await reaping.invoke(fn, eventPayload(null), invocationContext());
      assert.equal(cold.coldStart, true);
    } finally {
      await reaping.dispose();
    }
  });

  test('eviction disposes prewarmed isolates', async () => {
    const v1 = await fixtures.spec('counter', { concurrency: 2, version: 1 });
    await executor.prewarm(v1, 2);
    assert.equal(executor.stats().instances, 2);
    await executor.evict(v1.name, 2);
    assert.equal(executor.stats().instances, 0);

    const v3 = { ...v1, version: 3 };
    const outcome = await executor.invoke(v3, eventPayload(null), invocationContext());
    assert.equal(valueOf(outcome), 1);
    assert.equal(outcome.coldStart, true, 'nothing of the evicted version was reused');
  });

  test('eviction disposes an isolate still booting ahead', async () => {
    const fn = await fixtures.spec('counter', { concurrency: 1 });
    let open = (): void => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    // The bundle arrives only when the test says so: the prewarm is caught mid-boot.
    const gated = new IsolateExecutor({
      loadCode: async (sha) => {
        await gate;
        return fixtures.load(sha);
      },
    });
    try {
      const booting = gated.prewarm(fn, 1);
      await waitFor(() => gated.stats().instances === 1, { what: 'the prewarm started' });
      await gated.evict(fn.name);
      open();
      await booting;
      assert.equal(gated.stats().instances, 0);
    } finally {
      await gated.dispose();
    }
  });
});

describe('runtime agent: prewarm on follow', () => {
  const fixtures = new FixtureBundles();

  test('a node prewarms the functions it follows, at start and on deploy', async (t) => {
    const fn = await fixtures.spec('counter', { name: uniqueName(), concurrency: 2 });
    const broker = new EmbeddedBroker({ path: ':memory:', logger: silentLogger() });
    await broker.start();
    const executor = new IsolateExecutor({ loadCode: fixtures.load });
    const results = new Inbox<InvocationResult>();
    await broker.consumeResults(async (event) => {
      if (event.type === 'finished') results.push(event.result);
    });
    const agent = new RuntimeAgent({
      broker,
      executor,
      directory: { list: async () => [fn] },
      logger: silentLogger(),
      nodeId: 'prewarm-node',
    });
    await agent.start();
    t.after(async () => {
      await agent.drain(1000);
      await broker.close();
      await executor.dispose();
    });

    // Nothing was invoked: only the agent can have started this isolate.
    await waitFor(() => executor.stats().instances === 1, { what: 'the prewarm at start' });
    await executor.prewarm(fn, 1); // Waits for that boot to end.
    await broker.enqueue(invocation(fn.name, null, { fn }));
    const result = await results.next();
    assert.equal(result.coldStart, false);
    assert.equal(executor.stats().coldStarts, 0);

    const deployed = await fixtures.spec('hello', { name: uniqueName() });
    await broker.announce({ type: 'deployed', fn: deployed });
    await waitFor(() => executor.stats().instances === 3, { what: 'the prewarm on deploy' });
  });
});
