import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import ivm from 'isolated-vm';
import { MODULE_GLOBAL } from '../../core/api.ts';
import type { CachedBundle } from '../../runtime/isolate/bundle-cache.ts';
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import { produceRichCache, runBundle } from '../../runtime/isolate/run-bundle.ts';
import { FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
import { eventPayload, invocationContext, valueOf } from '../fixtures/bundles/invocations.ts';
import { uniqueName } from '../support/fixtures.ts';

/** Functions V8 compiles only when first called, as a request would call them. */
const CODE = `globalThis.${MODULE_GLOBAL} = { default: (n) => {
  function square(x) { return x * x; }
  function sum(list) { let total = 0; for (const x of list) total += square(x); return total; }
  return sum(Array.from({ length: n }, (_, i) => i));
} };`;
const FILENAME = 'fjord:///code-cache@1.js';

async function isolateWith(bundle: CachedBundle): Promise<{ isolate: ivm.Isolate; sum: number }> {
  const isolate = new ivm.Isolate({ memoryLimit: 32 });
  const context = await isolate.createContext();
  assert.equal(await runBundle(isolate, context, bundle, FILENAME), null);
  const sum = (await context.eval(`${MODULE_GLOBAL}.default(4)`)) as number;
  return { isolate, sum };
}

describe('isolate code cache', () => {
  test('a rich cache, taken after a request, holds more than the first one and is accepted', async () => {
    const bundle: CachedBundle = { sha: 'x', code: CODE };
    const first = await isolateWith(bundle);
    assert.equal(first.sum, 14);
    const plain = bundle.cachedData?.copy().byteLength ?? 0;
    assert.ok(plain > 0, 'the first compile produced a cache');
    await produceRichCache(first.isolate, bundle, FILENAME);
    first.isolate.dispose();
    assert.equal(bundle.rich, true);
    const rich = bundle.cachedData?.copy().byteLength ?? 0;
    assert.ok(rich > plain, `the rich cache (${rich} bytes) holds more than ${plain}`);

    const isolate = new ivm.Isolate({ memoryLimit: 32 });
    const script = await isolate.compileScript(CODE, {
      filename: FILENAME,
      ...(bundle.cachedData === undefined ? {} : { cachedData: bundle.cachedData }),
    });
    assert.equal(
      (script as ivm.Script & { cachedDataRejected?: boolean }).cachedDataRejected,
      false,
    );
    isolate.dispose();
    const second = await isolateWith(bundle);
    assert.equal(second.sum, 14);
    second.isolate.dispose();
  });

  test('it is taken once per bundle, and an isolate gone meanwhile keeps the first cache', async () => {
    const bundle: CachedBundle = { sha: 'y', code: CODE };
    const { isolate } = await isolateWith(bundle);
    const first = bundle.cachedData;
    isolate.dispose();
    await produceRichCache(isolate, bundle, FILENAME);
    assert.equal(bundle.cachedData, first, 'a disposed isolate changes nothing');
    const again = await isolateWith(bundle);
    await produceRichCache(again.isolate, bundle, FILENAME);
    const rich = bundle.cachedData;
    assert.notEqual(rich, first);
    await produceRichCache(again.isolate, bundle, FILENAME);
    assert.equal(bundle.cachedData, rich, 'once per bundle');
    again.isolate.dispose();
  });

  test('isolates booted after the first request of a version serve it alike', async () => {
    const fixtures = new FixtureBundles();
    const executor = new IsolateExecutor({ loadCode: fixtures.load });
    try {
      const fn = fixtures.specForCode(uniqueName('code-cache'), CODE, { concurrency: 1 });
      const first = await executor.invoke(fn, eventPayload(5), invocationContext());
      assert.equal(valueOf(first), 30);
      assert.equal(first.coldStart, true);
      // A new version of the same bundle boots from the cache the first request made rich.
      const next = await executor.invoke(
        { ...fn, version: 2 },
        eventPayload(6),
        invocationContext(),
      );
      assert.equal(valueOf(next), 55);
      assert.equal(next.coldStart, true);
    } finally {
      await executor.dispose();
    }
  });
});
