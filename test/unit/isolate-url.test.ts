import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MODULE_GLOBAL } from '../../core/api.ts';
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import type { PreludeMode } from '../../runtime/isolate/prelude.ts';
import { FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
import {
  bodyBytes,
  errorOf,
  eventPayload,
  httpPayload,
  invocationContext,
  responseOf,
  valueOf,
} from '../fixtures/bundles/invocations.ts';

/** URLs whose parsing walks code points: non-ASCII hosts, paths, queries and credentials. */
const URLS = [
  'http://bench.local/?n=1',
  'https://münchen.example/straße?q=ö#frag',
  'https://user:päss@例え.テスト:8443/パス/😀?x=✓&y=a b',
  'http://EXAMPLE.com/./a/../b/%7Efoo',
  'https://[::1]:8080/ipv6',
  'http://0x7f.1/hex-ipv4',
];

/** Every URL's parts as the function sees them. */
function parts(href: string): Record<string, string> {
  const url = new URL(href);
  const { host, pathname, search, hash, username, password } = url;
  return { href: url.href, host, pathname, search, hash, username, password };
}

// The prelude's URL is core-js's, bundled to split code points with the native Array.from
// (runtime/isolate/prelude.ts): it must parse exactly as Node's native URL does, and keep doing
// so when a function replaces Array.from.
const CODE = `globalThis.${MODULE_GLOBAL} = { default: (urls) => {
  const parts = ${parts.toString()};
  const before = urls.map(parts);
  Array.from = () => { throw new Error('replaced by the function'); };
  return { before, after: urls.map(parts) };
} };`;

for (const mode of ['snapshot', 'script'] satisfies PreludeMode[]) {
  describe(`isolate executor: URL parsing (prelude from ${mode})`, () => {
    const fixtures = new FixtureBundles();
    let executor: IsolateExecutor;

    before(() => {
      executor = new IsolateExecutor({ loadCode: fixtures.load, prelude: mode });
    });
    after(() => executor.dispose());

    test('URLs parse as Node parses them, even after a function replaced Array.from', async () => {
      const fn = fixtures.specForCode(`url-${mode}`, CODE);
      const outcome = await executor.invoke(fn, eventPayload(URLS), invocationContext());
      const expected = URLS.map(parts);
      assert.deepEqual(valueOf(outcome), { before: expected, after: expected });
    });
  });
}

describe('isolate executor: the URL of an HTTP invocation', () => {
  const fixtures = new FixtureBundles();
  let executor: IsolateExecutor;

  before(() => {
    executor = new IsolateExecutor({ loadCode: fixtures.load });
  });
  after(() => executor.dispose());

  const ECHO = `globalThis.${MODULE_GLOBAL} = { default: {
    fetch: (request) => new Response(JSON.stringify({ url: request.url, host: new URL(request.url).host })),
  } };`;

  test('request.url is the URL serialised as WHATWG URLs do', async () => {
    const fn = fixtures.specForCode('url-echo', ECHO);
    for (const url of URLS) {
      const outcome = await executor.invoke(fn, httpPayload('GET', url), invocationContext());
      const body = JSON.parse(bodyBytes(responseOf(outcome)).toString()) as unknown;
      assert.deepEqual(body, { url: new URL(url).href, host: new URL(url).host });
    }
  });

  test('a request whose URL is not one fails with BAD_REQUEST', async () => {
    const fn = fixtures.specForCode('url-echo-bad', ECHO);
    const outcome = await executor.invoke(fn, httpPayload('GET', '/relative'), invocationContext());
    assert.equal(errorOf(outcome).code, 'BAD_REQUEST');
    assert.match(errorOf(outcome).message, /invalid request/);
  });
});
