import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MODULE_GLOBAL } from '../../core/api.ts';
import { IsolateExecutor, type LiveLogEvent } from '../../runtime/isolate/isolate-executor.ts';
import { FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
import {
  errorOf,
  eventPayload,
  httpPayload,
  invocationContext,
  responseOf,
  valueOf,
} from '../fixtures/bundles/invocations.ts';
import { Inbox } from '../support/inbox.ts';

describe('isolate executor: faults', () => {
  const fixtures = new FixtureBundles();
  let executor: IsolateExecutor;

  before(() => {
    executor = new IsolateExecutor({ loadCode: fixtures.load });
  });
  after(() => executor.dispose());

  test('a function that throws is FUNCTION_ERROR with its message and error name', async () => {
    const fn = await fixtures.spec('throws');
    const outcomes = [];
    for (const payload of [eventPayload(null), httpPayload('GET', 'http://fjord.test/')]) {
      const outcome = await executor.invoke(fn, payload, invocationContext());
      const error = errorOf(outcome);
      assert.equal(error.code, 'FUNCTION_ERROR');
      assert.equal(error.message, 'the fixture failed on purpose');
      assert.equal(error.name, 'TypeError');
      outcomes.push(outcome);
    }
    assert.equal(outcomes[1]?.coldStart, false, 'a thrown error leaves the isolate warm');
  });

  test('an infinite loop times out, and the next invocation gets a new isolate', async () => {
    const fn = await fixtures.spec('spin', { concurrency: 1 });
    const warm = await executor.invoke(fn, eventPayload(null), invocationContext());
    assert.equal(valueOf(warm), 1);
    const spun = await executor.invoke(
      fn,
      eventPayload({ spin: true }),
      invocationContext({ deadline: Date.now() + 300 }),
    );
    assert.equal(errorOf(spun).code, 'INVOCATION_TIMEOUT');
    assert.equal(spun.coldStart, false);
    assert.deepEqual(
      spun.logs.map((e) => e.message),
      ['spinning'],
    );

    const next = await executor.invoke(fn, eventPayload(null), invocationContext());
    assert.equal(next.coldStart, true);
    assert.equal(valueOf(next), 1, 'module state starts over in the new isolate');
  });

  test('a promise that never resolves times out and its isolate is replaced', async () => {
    const fn = await fixtures.spec('hang', { concurrency: 1 });
    const before = executor.stats().coldStarts;
    const first = await executor.invoke(
      fn,
      eventPayload(null),
      invocationContext({ deadline: Date.now() + 200 }),
    );
    assert.equal(errorOf(first).code, 'INVOCATION_TIMEOUT');
    // A deadline well inside its timeout (a sync caller's, say): the message says what it had.
    assert.match(errorOf(first).message, /did not finish within the \d+ ms it had left \(of its/);
    const second = await executor.invoke(
      fn,
      eventPayload(null),
      invocationContext({ deadline: Date.now() + 200 }),
    );
    assert.equal(errorOf(second).code, 'INVOCATION_TIMEOUT');
    assert.equal(second.coldStart, true, 'a timed-out isolate is never reused');
    assert.equal(executor.stats().coldStarts, before + 2);
  });

  test('a memory bomb is MEMORY_LIMIT_EXCEEDED and the executor keeps serving', async () => {
    const bomb = await fixtures.spec('memory-bomb', { memoryMb: 32, concurrency: 1 });
    const outcome = await executor.invoke(
      bomb,
      eventPayload(null),
      invocationContext({ deadline: Date.now() + 30_000 }),
    );
    const error = errorOf(outcome);
    assert.equal(error.code, 'MEMORY_LIMIT_EXCEEDED');
    assert.match(error.message, /memory limit of 32 MB/);

    const hello = await fixtures.spec('hello');
    const ok = await executor.invoke(
      hello,
      httpPayload('GET', 'http://fjord.test/'),
      invocationContext(),
    );
    assert.equal(responseOf(ok).status, 201);
    const again = await executor.invoke(
      bomb,
      eventPayload(null),
      invocationContext({ deadline: Date.now() + 30_000 }),
    );
    assert.equal(errorOf(again).code, 'MEMORY_LIMIT_EXCEEDED');
    assert.equal(again.coldStart, true);
  });

  test('the Node event loop keeps running while an isolate spins', async () => {
    const live = new Inbox<LiveLogEvent>();
    const own = new IsolateExecutor({ loadCode: fixtures.load, onLog: live.push });
    const fn = await fixtures.spec('spin');
    const ctx = invocationContext({ deadline: Date.now() + 60_000 });
    let settled = false;
    const pending = own.invoke(fn, eventPayload({ spin: true }), ctx).finally(() => {
      settled = true;
    });
    const ticks = new Inbox<number>();
    let count = 0;
    let interval: NodeJS.Timeout | undefined;
    try {
      // The function logs right before it starts spinning.
      const started = await live.next(10_000, 'the spin fixture to start');
      assert.equal(started.entry.message, 'spinning');
      interval = setInterval(() => ticks.push(++count), 5);
      for (let i = 1; i <= 5; i++) assert.equal(await ticks.next(5000, `host tick ${i}`), i);
      assert.equal(settled, false, 'the isolate is still spinning while the host ticks');
    } finally {
      clearInterval(interval);
      await own.dispose();
    }
    const error = errorOf(await pending);
    assert.equal(error.code, 'FUNCTION_CRASHED', 'disposing the executor stops a busy isolate');
    assert.match(error.message, /node stopped this function/);
  });

  test('a bundle without a default export is BUNDLE_REJECTED', async () => {
    const fn = await fixtures.spec('no-default');
    const error = errorOf(await executor.invoke(fn, eventPayload(null), invocationContext()));
    assert.equal(error.code, 'BUNDLE_REJECTED');
    assert.match(
      error.message,
      /default export must be a function \(event, ctx\) or an object with a fetch/,
    );
  });

  test('bundles that do not compile or do not assign the module are BUNDLE_REJECTED', async () => {
    const broken = fixtures.specForCode('broken', 'var __fjord_module = {;');
    const brokenError = errorOf(
      await executor.invoke(broken, eventPayload(null), invocationContext()),
    );
    assert.equal(brokenError.code, 'BUNDLE_REJECTED');
    assert.match(brokenError.message, /does not compile/);

    const silent = fixtures.specForCode('silent', 'var unrelated = 1;');
    const silentError = errorOf(
      await executor.invoke(silent, eventPayload(null), invocationContext()),
    );
    assert.equal(silentError.code, 'BUNDLE_REJECTED');
    assert.match(silentError.message, new RegExp(`did not assign globalThis.${MODULE_GLOBAL}`));
  });

  test('a module that throws while initializing is FUNCTION_ERROR', async () => {
    const fn = await fixtures.spec('init-throws');
    const error = errorOf(await executor.invoke(fn, eventPayload(null), invocationContext()));
    assert.equal(error.code, 'FUNCTION_ERROR');
    assert.match(error.message, /module initialization failed: module init failed on purpose/);
    assert.equal(error.name, 'RangeError');
  });

  test('a bundle that cannot be fetched fails retryably without an isolate', async () => {
    const fn = { ...(await fixtures.spec('hello')), name: 'missing', bundleSha: 'f'.repeat(64) };
    const outcome = await executor.invoke(fn, eventPayload(null), invocationContext());
    const error = errorOf(outcome) as { code: string; message: string; retryable?: boolean };
    assert.equal(error.code, 'INTERNAL');
    assert.match(error.message, /could not load bundle f{64}: no bundle/);
    assert.equal(error.retryable, true);
  });
});
