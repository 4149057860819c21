import assert from 'node:assert/strict';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import { IsolateBundleCache } from '../../runtime/isolate/bundle-cache.ts';
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import { HostCrypto } from '../../runtime/isolate/host-crypto.ts';
import { IsolateInstance } from '../../runtime/isolate/isolate-instance.ts';
import { LogCollector } from '../../runtime/isolate/log-collector.ts';
import { Prelude } from '../../runtime/isolate/prelude.ts';
import { FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
import {
  errorOf,
  eventPayload,
  invocationContext,
  valueOf,
} from '../fixtures/bundles/invocations.ts';
import { waitFor } from '../support/inbox.ts';

describe('isolate executor: warm isolates', () => {
  const fixtures = new FixtureBundles();
  let executor: IsolateExecutor;

  beforeEach(() => {
    executor = new IsolateExecutor({ loadCode: fixtures.load });
  });
  afterEach(() => executor.dispose());

  test('a warm isolate is reused and module state survives between invocations', async () => {
    const fn = await fixtures.spec('counter', { concurrency: 1 });
    const loadsBefore = fixtures.loads;
    const outcomes = [];
    for (let i = 0; i < 3; i++) {
      outcomes.push(await executor.invoke(fn, eventPayload(null), invocationContext()));
    }
    assert.deepEqual(outcomes.map(valueOf), [1, 2, 3]);
    assert.deepEqual(
      outcomes.map((o) => o.coldStart),
      [true, false, false],
    );
    assert.equal(fixtures.loads - loadsBefore, 1, 'the bundle is fetched once');
    assert.deepEqual(executor.stats(), { instances: 1, coldStarts: 1, invocations: 3 });
  });

  test('one invocation at a time per isolate: a second one waits for the first', async () => {
    const fn = await fixtures.spec('sleep', { concurrency: 1 });
    const [first, second] = await Promise.all([
      executor.invoke(fn, eventPayload({ ms: 30 }), invocationContext()),
      executor.invoke(fn, eventPayload({ ms: 0 }), invocationContext()),
    ]);
    assert.equal(valueOf(first), 1);
    assert.equal(valueOf(second), 2, 'the second call ran in the same isolate after the first');
    assert.equal(second?.coldStart, false);
    assert.equal(executor.stats().instances, 1);
  });

  test('up to `concurrency` isolates run side by side', async () => {
    const fn = await fixtures.spec('sleep', { concurrency: 2 });
    const outcomes = await Promise.all([
      executor.invoke(fn, eventPayload({ ms: 30 }), invocationContext()),
      executor.invoke(fn, eventPayload({ ms: 30 }), invocationContext()),
    ]);
    assert.deepEqual(outcomes.map(valueOf), [1, 1], 'each call had an isolate of its own');
    assert.deepEqual(
      outcomes.map((o) => o.coldStart),
      [true, true],
    );
    assert.equal(executor.stats().instances, 2);
  });

  test('maxIsolatesPerFunction caps isolates below the function concurrency', async () => {
    const capped = new IsolateExecutor({ loadCode: fixtures.load, maxIsolatesPerFunction: 1 });
    try {
      const fn = await fixtures.spec('sleep', { concurrency: 4 });
      const outcomes = await Promise.all([
        capped.invoke(fn, eventPayload({ ms: 10 }), invocationContext()),
        capped.invoke(fn, eventPayload({ ms: 10 }), invocationContext()),
      ]);
      assert.deepEqual(outcomes.map(valueOf).sort(), [1, 2]);
      assert.equal(capped.stats().instances, 1);
    } finally {
      await capped.dispose();
    }
  });

  test('waiting for a busy isolate past the deadline is INVOCATION_TIMEOUT', async () => {
    const fn = await fixtures.spec('sleep', { concurrency: 1 });
    const busy = executor.invoke(fn, eventPayload({ ms: 300 }), invocationContext());
    const waiting = await executor.invoke(
      fn,
      eventPayload(null),
      invocationContext({ deadline: Date.now() + 50 }),
    );
    const error = errorOf(waiting);
    assert.equal(error.code, 'INVOCATION_TIMEOUT');
    assert.match(error.message, /no isolate of sleep became free/);
    assert.equal(valueOf(await busy), 1, 'the busy invocation is unaffected');
  });

  test('with a timeout of its own, a run that waited for a busy isolate gets all of it', async () => {
    const fn = await fixtures.spec('sleep', { concurrency: 1 });
    // Warm first: a cold start counts against the timeout, and boots slowly on a busy machine.
    assert.equal(
      valueOf(await executor.invoke(fn, eventPayload({ ms: 0 }), invocationContext())),
      1,
    );
    // Both sent at once, as runs ahead are: the second waits ~600 ms, then runs ~600 ms.
    const ahead = () => invocationContext({ deadline: Date.now() + 4 * 1000, timeoutMs: 1000 });
    const [first, second] = await Promise.all([
      executor.invoke(fn, eventPayload({ ms: 600 }), ahead()),
      executor.invoke(fn, eventPayload({ ms: 600 }), ahead()),
    ]);
    assert.equal(valueOf(first), 2);
    assert.equal(valueOf(second), 3, 'its 1000 ms counted from the lease, not from the call');
    // The same two with the timeout counted from the call: the second runs out of time.
    const fromCall = () => invocationContext({ deadline: Date.now() + 1000 });
    const [, late] = await Promise.all([
      executor.invoke(fn, eventPayload({ ms: 600 }), fromCall()),
      executor.invoke(fn, eventPayload({ ms: 600 }), fromCall()),
    ]);
    assert.equal(errorOf(late).code, 'INVOCATION_TIMEOUT');
  });

  test('with a timeout of its own, a run still waits no later than its latest end', async () => {
    const fn = await fixtures.spec('sleep', { concurrency: 1 });
    const busy = executor.invoke(fn, eventPayload({ ms: 300 }), invocationContext());
    const waiting = await executor.invoke(
      fn,
      eventPayload(null),
      invocationContext({ deadline: Date.now() + 50, timeoutMs: 5000 }),
    );
    assert.equal(errorOf(waiting).code, 'INVOCATION_TIMEOUT');
    assert.equal(waiting.ok ? undefined : waiting.error.retryable, true, 'it never ran: retryable');
    assert.equal(waiting.ran, undefined, 'and it reports no run');
    assert.equal(valueOf(await busy), 1, 'the busy invocation is unaffected');
  });

  test("a function's isolates running at once stay within its concurrency across versions", async () => {
    // During a deploy (or with runs sent ahead) runs of two versions wait in two pools at once.
    const v1 = await fixtures.spec('sleep', { version: 1, concurrency: 1 });
    const v2 = await fixtures.spec('sleep', { version: 2, concurrency: 1 });
    const roomy = () => invocationContext({ deadline: Date.now() + 60_000 });
    const [first, second] = await Promise.all([
      executor.invoke(v1, eventPayload({ ms: 500 }), roomy()),
      executor.invoke(v2, eventPayload({ ms: 0 }), roomy()),
    ]);
    assert.equal(valueOf(first), 1);
    assert.equal(valueOf(second), 1);
    assert.ok(first.ran !== undefined && second.ran !== undefined);
    // v2 could only lease its isolate once v1's run had released its slot: after its timer.
    assert.ok(
      second.ran.startedAt >= first.ran.startedAt + 500,
      `v2 started ${second.ran.startedAt - first.ran.startedAt} ms after v1, which sleeps 500 ms`,
    );
  });

  test('evict disposes idle isolates of other versions, busy ones when they finish', async () => {
    const v1 = await fixtures.spec('sleep', { version: 1, concurrency: 2 });
    const v2 = await fixtures.spec('sleep', { version: 2, concurrency: 2 });
    await executor.invoke(v1, eventPayload(null), invocationContext());
    await executor.invoke(v2, eventPayload(null), invocationContext());
    assert.equal(executor.stats().instances, 2);

    const busy = executor.invoke(v1, eventPayload({ ms: 100 }), invocationContext());
    const idleToo = executor.invoke(v1, eventPayload({ ms: 0 }), invocationContext());
    await idleToo;
    await executor.evict('sleep', 2);
    assert.equal(executor.stats().instances, 2, 'the busy v1 isolate stays until it finishes');
    assert.equal(valueOf(await busy), 2);
    assert.equal(executor.stats().instances, 1, 'only v2 is left');

    const again = await executor.invoke(v1, eventPayload(null), invocationContext());
    assert.equal(again.coldStart, true);
    const kept = await executor.invoke(v2, eventPayload(null), invocationContext());
    assert.equal(kept.coldStart, false);

    await executor.evict('sleep');
    assert.equal(executor.stats().instances, 0);
  });

  test('idle isolates are reaped after the idle timeout', async () => {
    const reaping = new IsolateExecutor({ loadCode: fixtures.load, idleTimeoutMs: 1 });
    try {
      const fn = await fixtures.spec('counter');
      await reaping.invoke(fn, eventPayload(null), invocationContext());
      assert.equal(reaping.stats().instances, 1);
      await waitFor(() => reaping.stats().instances === 0, {
        what: 'the idle isolate to be reaped',
      });
      const next = await reaping.invoke(fn, eventPayload(null), invocationContext());
      assert.equal(next.coldStart, true);
    } finally {
      await reaping.dispose();
    }
  });

  test('a disposed executor refuses work', async () => {
    const fn = await fixtures.spec('counter');
    await executor.dispose();
    const error = errorOf(await executor.invoke(fn, eventPayload(null), invocationContext()));
    assert.equal(error.code, 'NO_CAPACITY');
  });
});

describe('isolate instance', () => {
  const fixtures = new FixtureBundles();
  const prelude = Prelude.build('snapshot');
  after(async () => {
    await prelude;
  });

  test('a disposed isolate releases its host timers', async () => {
    const fn = await fixtures.spec('timers-then-hang');
    const instance = new IsolateInstance(fn, {
      prelude: await prelude,
      bundles: new IsolateBundleCache(fixtures.load, 4),
      config: { logLimitBytes: 1024, maxResponseBytes: 1024, maxTimers: 10 },
      crypto: new HostCrypto(),
      fetchLimits: { maxRequests: 1, maxResponseBytes: 1024, maxRedirects: 0 },
    });
    const logs = new LogCollector(1024);
    const generation = instance.begin(logs, Date.now() + 10_000);
    assert.equal(await instance.boot(generation), null);
    const running = instance.dispatch(eventPayload(null), invocationContext(), generation);
    await waitFor(() => instance.pendingTimers === 2, { what: 'the timers to reach the host' });
    instance.dispose('timeout');
    assert.equal(instance.pendingTimers, 0);
    assert.equal(instance.state, 'disposed');
    await assert.rejects(running, 'the invocation in flight fails with its isolate');
    assert.deepEqual(
      logs.entries.map((e) => e.message),
      ['timers set'],
    );
  });
});
