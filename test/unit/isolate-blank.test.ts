import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { MODULE_GLOBAL } from '../../core/api.ts';
import { BlankIsolates } from '../../runtime/isolate/blank-isolates.ts';
import { resolveOptions } from '../../runtime/isolate/executor-options.ts';
import { preludeConfig } from '../../runtime/isolate/instance-deps.ts';
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import { Prelude } from '../../runtime/isolate/prelude.ts';
import { FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
import { eventPayload, invocationContext, valueOf } from '../fixtures/bundles/invocations.ts';
import { uniqueName } from '../support/fixtures.ts';

/** A version that leaves a mark in its isolate's global scope and reports the mark it found. */
const MARKER = `globalThis.${MODULE_GLOBAL} = { default: (event) => {
  const found = globalThis.marker;
  globalThis.marker = event;
  return { found: found ?? null };
} };`;

/** Uses the host bridge: a log line, a timer and a subtle crypto call (a host call). */
const BRIDGE = `globalThis.${MODULE_GLOBAL} = { default: async () => {
  console.log('from a blank isolate');
  await new Promise((resolve) => setTimeout(resolve, 5));
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode('abc'));
  return [...new Uint8Array(digest).slice(0, 4)];
} };`;

describe('isolate executor: blank isolates booted ahead', () => {
  const fixtures = new FixtureBundles();
  let executor: IsolateExecutor;

  beforeEach(() => {
    executor = new IsolateExecutor({ loadCode: fixtures.load, blankIsolates: 2 });
  });
  afterEach(() => executor.dispose());

  test('a new version takes a blank isolate, which is replaced afterwards', async () => {
    await executor.fillBlanks();
    assert.equal(executor.blankIsolates, 2);
    const fn = fixtures.specForCode(uniqueName('blank'), MARKER, { memoryMb: 128 });
    const outcome = await executor.invoke(fn, eventPayload('a'), invocationContext());
    assert.deepEqual(valueOf(outcome), { found: null });
    assert.equal(outcome.coldStart, true);
    assert.equal(executor.blankIsolates, 1, 'the cold start took one');
    await executor.fillBlanks();
    assert.equal(executor.blankIsolates, 2, 'and it was replaced');
  });

  test('each blank isolate serves one version only', async () => {
    await executor.fillBlanks();
    const first = fixtures.specForCode(uniqueName('blank-a'), MARKER, { memoryMb: 128 });
    const second = fixtures.specForCode(uniqueName('blank-b'), MARKER, { memoryMb: 128 });
    assert.deepEqual(
      valueOf(await executor.invoke(first, eventPayload('a'), invocationContext())),
      {
        found: null,
      },
    );
    const other = await executor.invoke(second, eventPayload('b'), invocationContext());
    assert.deepEqual(valueOf(other), { found: null }, 'the second version has its own isolate');
    assert.equal(other.coldStart, true);
    const again = await executor.invoke(first, eventPayload('c'), invocationContext());
    assert.deepEqual(valueOf(again), { found: 'a' }, 'the first version kept its own');
    assert.equal(executor.stats().instances, 2);
  });

  test('the bridge of a blank isolate serves the version that took it: logs, timers, host calls', async () => {
    await executor.fillBlanks();
    const fn = fixtures.specForCode(uniqueName('blank-bridge'), BRIDGE, { memoryMb: 128 });
    for (const cold of [true, false]) {
      const outcome = await executor.invoke(fn, eventPayload(null), invocationContext());
      assert.deepEqual(valueOf(outcome), [0xba, 0x78, 0x16, 0xbf]);
      assert.equal(outcome.coldStart, cold);
      assert.deepEqual(
        outcome.logs.map((entry) => entry.message),
        ['from a blank isolate'],
      );
    }
  });

  test('a version of another memoryMb makes its own isolate; the next blanks take its size', async () => {
    await executor.fillBlanks();
    const small = fixtures.specForCode(uniqueName('blank-32'), MARKER, { memoryMb: 32 });
    const outcome = await executor.invoke(small, eventPayload('a'), invocationContext());
    assert.equal(outcome.coldStart, true);
    assert.deepEqual(valueOf(outcome), { found: null });
    assert.equal(executor.blankIsolates, 2, 'the blanks of 128 MB are kept');
    await executor.fillBlanks();
    assert.equal(executor.blankIsolates, 2, 'replaced one by one by blanks of 32 MB');
    const next = fixtures.specForCode(uniqueName('blank-32b'), MARKER, { memoryMb: 32 });
    assert.equal(
      (await executor.invoke(next, eventPayload('b'), invocationContext())).coldStart,
      true,
    );
    assert.equal(executor.blankIsolates, 1, 'the next version of 32 MB took one');
  });

  test('blanks of the old size serve versions of that size until they are replaced', async () => {
    const blanks = new BlankIsolates(await Prelude.build('snapshot'), {
      count: 2,
      memoryMb: 128,
      config: preludeConfig(resolveOptions({ loadCode: fixtures.load })),
    });
    try {
      blanks.fill();
      await blanks.settled();
      assert.equal(blanks.take(32), undefined, 'none of 32 MB yet');
      assert.equal(blanks.ready, 2, 'the two of 128 MB are kept');
      const old = blanks.take(128);
      assert.equal(old?.memoryMb, 128, 'and still serve a version of 128 MB');
      old?.isolate.dispose();
      blanks.fill(); // now of 32 MB: two, the last of 128 MB making room for the second
      await blanks.settled();
      assert.equal(blanks.ready, 2);
      assert.equal(blanks.take(128), undefined, 'the one of 128 MB was replaced');
      const fresh = [blanks.take(32), blanks.take(32)];
      assert.deepEqual(
        fresh.map((blank) => blank?.memoryMb),
        [32, 32],
      );
      for (const blank of fresh) blank?.isolate.dispose();
    } finally {
      blanks.close();
    }
  });

  test('a blank isolate keeps the memory limit of the version that takes it', async () => {
    const fill = `globalThis.${MODULE_GLOBAL} = { default: () => {
      const chunks = [];
      for (;;) chunks.push(new Array(1e6).fill(chunks.length));
    } };`;
    const small = fixtures.specForCode(uniqueName('blank-32'), MARKER, { memoryMb: 32 });
    await executor.invoke(small, eventPayload('a'), invocationContext());
    await executor.fillBlanks(); // now of 32 MB
    const fn = fixtures.specForCode(uniqueName('blank-oom'), fill, { memoryMb: 32 });
    const outcome = await executor.invoke(fn, eventPayload(null), invocationContext());
    assert.equal(outcome.ok, false);
    assert.equal(outcome.ok ? undefined : outcome.error.code, 'MEMORY_LIMIT_EXCEEDED');
    assert.equal(executor.blankIsolates, 1, 'it ran in a blank isolate');
  });

  test('a blank isolate, warmed up ahead, has the global scope of an isolate made at once', async () => {
    // Top-level lexical names, as the warm-up's would clash with them if it declared any.
    const code = `const request = 1, url = 2, text = 3, response = 4;
    globalThis.${MODULE_GLOBAL} = { default: () =>
      Object.getOwnPropertyNames(globalThis).filter((name) => name !== '${MODULE_GLOBAL}').sort()
    };`;
    const fresh = new IsolateExecutor({ loadCode: fixtures.load, blankIsolates: 0 });
    try {
      await executor.fillBlanks();
      const fn = fixtures.specForCode(uniqueName('blank-globals'), code, { memoryMb: 128 });
      const fromBlank = await executor.invoke(fn, eventPayload(null), invocationContext());
      assert.equal(executor.blankIsolates, 1, 'it ran in a blank isolate');
      const fromNothing = await fresh.invoke(fn, eventPayload(null), invocationContext());
      assert.deepEqual(valueOf(fromBlank), valueOf(fromNothing));
    } finally {
      await fresh.dispose();
    }
  });

  test('none are kept with blankIsolates 0, and none are left after dispose', async () => {
    const none = new IsolateExecutor({ loadCode: fixtures.load, blankIsolates: 0 });
    try {
      await none.fillBlanks();
      const fn = fixtures.specForCode(uniqueName('blank-none'), MARKER);
      assert.equal((await none.invoke(fn, eventPayload('a'), invocationContext())).coldStart, true);
      await none.fillBlanks();
      assert.equal(none.blankIsolates, 0);
    } finally {
      await none.dispose();
    }
    await executor.fillBlanks();
    assert.equal(executor.blankIsolates, 2);
    await executor.dispose();
    assert.equal(executor.blankIsolates, 0);
  });
});
