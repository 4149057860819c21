import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import type { PreludeMode } from '../../runtime/isolate/prelude.ts';
import { FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
import { eventPayload, invocationContext, valueOf } from '../fixtures/bundles/invocations.ts';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

for (const mode of ['snapshot', 'script'] satisfies PreludeMode[]) {
  describe(`isolate executor: Web APIs and sandbox (prelude from ${mode})`, () => {
    const fixtures = new FixtureBundles();
    let executor: IsolateExecutor;

    before(() => {
      executor = new IsolateExecutor({ loadCode: fixtures.load, prelude: mode });
    });
    after(() => executor.dispose());

    test('URL, URLSearchParams, TextEncoder, crypto, timers, Response and friends work', async () => {
      const fn = await fixtures.spec('web-apis');
      const seen = valueOf(await executor.invoke(fn, eventPayload(null), invocationContext()));
      const { uuid, random, ...rest } = seen as { uuid: string[]; random: { distinct: number } };
      assert.equal(uuid.length, 2);
      for (const id of uuid) assert.match(id, UUID_V4);
      assert.notEqual(uuid[0], uuid[1]);
      // 32 random bytes with fewer than 8 distinct values would be a broken generator.
      assert.ok(random.distinct >= 8, `only ${random.distinct} distinct random bytes`);
      assert.deepEqual(rest, {
        url: {
          href: 'https://user:pw@example.com:8443/a/c?x=1&y=two#frag',
          host: 'example.com:8443',
          pathname: '/a/c',
          search: '?x=1&y=two',
          hash: '#frag',
          username: 'user',
          x: '1',
        },
        params: { all: ['1', '3'], text: 'a=1&b=2&a=3&c=with+space' },
        text: {
          bytes: [104, 195, 169, 108, 108, 111, 32, 226, 156, 147],
          roundtrip: 'héllo ✓',
        },
        timers: { order: ['early', 'late'], ticks: 3 },
        microtask: 'ran',
        headers: {
          get: 'text/plain',
          multi: 'one, two',
          has: true,
          entries: [
            ['content-type', 'text/plain'],
            ['x-multi', 'one, two'],
          ],
        },
        responseJson: {
          status: 202,
          type: 'application/json',
          body: { ok: true },
          bodyUsed: true,
        },
        redirect: { status: 307, location: 'https://example.com/next' },
        request: {
          method: 'POST',
          contentType: 'text/plain;charset=UTF-8',
          body: '{"a":1}',
          cloneBody: { a: 1 },
        },
        base64: { encoded: 'ZmpvcmQ=', decoded: 'fjord' },
        structuredClone: { distinct: true, date: true, list: [1, 2], map: 'v' },
      });
    });

    test('no process, require or isolated-vm object is visible to the function', async () => {
      const fn = await fixtures.spec('sandbox');
      const seen = valueOf(await executor.invoke(fn, eventPayload(null), invocationContext()));
      assert.deepEqual(seen, {
        typeofs: {
          process: 'undefined',
          require: 'undefined',
          module: 'undefined',
          exports: 'undefined',
          global: 'undefined',
          Buffer: 'undefined',
          ivm: 'undefined',
          _ivm: 'undefined',
          __fjord_install: 'undefined',
          fetch: 'undefined',
        },
        hostLike: [],
        fjordGlobals: [],
      });
    });
  });
}
