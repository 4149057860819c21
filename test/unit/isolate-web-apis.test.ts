import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import { Prelude, type PreludeMode } from '../../runtime/isolate/prelude.ts';
import { FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
import {
  bodyBytes,
  eventPayload,
  httpPayload,
  invocationContext,
  responseOf,
  valueOf,
} from '../fixtures/bundles/invocations.ts';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

for (const mode of ['snapshot', 'script'] satisfies PreludeMode[]) {
  describe(`isolate executor: Web APIs and sandbox (prelude from ${mode})`, () => {
    const fixtures = new FixtureBundles();
    let executor: IsolateExecutor;

    before(() => {
      executor = new IsolateExecutor({ loadCode: fixtures.load, prelude: mode });
    });
    after(() => executor.dispose());

    test(`the prelude builds in ${mode} mode (a failed snapshot would fall back to script)`, async () => {
      assert.equal((await Prelude.build(mode)).mode, mode);
    });

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

    test('Event, EventTarget, AbortController, AbortSignal and DOMException behave as in browsers', async () => {
      const fn = await fixtures.spec('events-abort');
      const seen = valueOf(await executor.invoke(fn, eventPayload(null), invocationContext()));
      assert.deepEqual(seen, {
        events: {
          seen: ['ping:true', 'once', 'ping:true'],
          notPrevented: false,
          defaultPrevented: true,
        },
        abort: {
          before: false,
          after: true,
          reasonName: 'AbortError',
          reasonIsError: true,
          reasons: ['listener', 'onabort'],
          thrown: 'AbortError',
        },
        custom: { aborted: true, reason: 'custom reason' },
        timeout: { name: 'TimeoutError', code: 23 },
        any: { aborted: true, reason: 'second wins' },
        illegal: 'TypeError',
        domException: {
          name: 'NotFoundError',
          message: 'gone',
          code: 8,
          string: 'NotFoundError: gone',
          isError: true,
        },
      });
    });

    test('Blob, File and FormData, serialized as multipart and parsed back', async () => {
      const fn = await fixtures.spec('blob-form');
      const response = responseOf(
        await executor.invoke(
          fn,
          httpPayload('GET', 'http://fjord.test/local'),
          invocationContext(),
        ),
      );
      assert.deepEqual(JSON.parse(bodyBytes(response).toString()), {
        blob: { size: 12, type: 'text/plain', text: 'héllo world' },
        slice: 'world',
        streamed: 'héllo world',
        file: { name: 'data.json', type: 'application/json', lastModified: 42, isBlob: true },
        form: {
          name: 'Grace',
          tags: ['one', 'two'],
          has: true,
          keys: ['name', 'tag', 'tag', 'upload'],
        },
        roundTrip: {
          name: 'Grace',
          tags: ['one', 'two'],
          upload: { name: 'data.json', type: 'application/json', text: '{"a":1}' },
        },
      });
    });

    test('request.formData() parses multipart (as Node builds it) and urlencoded bodies', async () => {
      const fn = await fixtures.spec('blob-form');
      const form = new FormData();
      form.append('title', 'Ünïcode "quoted"');
      form.append(
        'doc',
        new Blob([Uint8Array.from([0, 1, 2, 255])], { type: 'image/png' }),
        'a.png',
      );
      const encoded = new Response(form);
      const multipart = await executor.invoke(
        fn,
        httpPayload('POST', 'http://fjord.test/form', {
          headers: [['content-type', encoded.headers.get('content-type') ?? '']],
          body: new Uint8Array(await encoded.arrayBuffer()),
        }),
        invocationContext(),
      );
      assert.deepEqual(JSON.parse(bodyBytes(responseOf(multipart)).toString()), {
        title: 'Ünïcode "quoted"',
        doc: { file: 'a.png', type: 'image/png', size: 4, bytes: [0, 1, 2, 255] },
      });
      const urlencoded = await executor.invoke(
        fn,
        httpPayload('POST', 'http://fjord.test/form', {
          headers: [['content-type', 'application/x-www-form-urlencoded']],
          body: 'a=1&b=two+words&a=%C3%A9',
        }),
        invocationContext(),
      );
      assert.deepEqual(JSON.parse(bodyBytes(responseOf(urlencoded)).toString()), {
        a: 'é',
        b: 'two words',
      });
      const wrongType = responseOf(
        await executor.invoke(
          fn,
          httpPayload('POST', 'http://fjord.test/form', {
            headers: [['content-type', 'application/json']],
            body: '{}',
          }),
          invocationContext(),
        ),
      );
      assert.equal(wrongType.status, 400);
      assert.match(bodyBytes(wrongType).toString(), /formData\(\) needs a multipart\/form-data/);
    });

    test('URLPattern, performance, microtasks, intervals, structuredClone, navigator, text codecs', async () => {
      const fn = await fixtures.spec('web-globals');
      const seen = valueOf(await executor.invoke(fn, eventPayload(null), invocationContext()));
      assert.deepEqual(seen, {
        urlPattern: { id: '42', rest: 'chapters/7', test: false, host: true },
        performance: { positive: true, origin: 'number' },
        order: ['sync', 'microtask', 'after await'],
        ticks: 3,
        structuredClone: {
          distinct: true,
          cycle: true,
          date: 1000,
          list: [1, 2],
          cloneError: 'DataCloneError',
        },
        navigator: 'Fjord',
        text: {
          streamed: '😀',
          replacement: 'a\ufffdb',
          bom: 'a',
          keptBom: 2,
          fatal: 'TypeError',
          loneSurrogate: [0xef, 0xbf, 0xbd],
          encodeInto: { read: 2, written: 3 },
        },
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
          fetch: 'function',
        },
        hostLike: [],
        fjordGlobals: [],
      });
    });
  });
}
