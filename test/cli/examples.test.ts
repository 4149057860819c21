import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { MODULE_GLOBAL } from '../../core/api.ts';
import { bundleFunction } from '../../cli/bundle/bundle-function.ts';
import { EXAMPLES } from '../../server/deploy-examples.ts';

const FUNCTIONS = fileURLToPath(new URL('../../functions/', import.meta.url));

interface Handler {
  fetch?: (request: Request, env: unknown, ctx: unknown) => Promise<Response>;
}

const ctx = {
  callId: 'call-1',
  invocationId: 'inv-1',
  attempt: 1,
  deadline: Date.now() + 10_000,
  env: {},
  waitUntil: () => {},
  passThroughOnException: () => {},
  log: { debug() {}, info() {}, log() {}, warn() {}, error() {} },
};

/**
 * Bundles and type-checks an example, then loads the bundle the way the runtime does (a script
 * that assigns the module to a global) in a fresh context with Web globals.
 */
async function load(name: string): Promise<unknown> {
  const { code, manifest } = await bundleFunction(join(FUNCTIONS, name), { typecheck: true });
  assert.equal(manifest.name, name);
  const context = { Request, Response, Headers, URL, URLSearchParams };
  const module = runInNewContext(`${code}\n${MODULE_GLOBAL}`, context) as { default: unknown };
  return module.default;
}

async function fetchJson(name: string, url: string, init?: RequestInit): Promise<unknown> {
  const handler = (await load(name)) as Handler;
  assert.ok(handler.fetch, `${name} has a fetch handler`);
  const response = await handler.fetch(new Request(url, init), { API_VERSION: '1' }, ctx);
  return { status: response.status, body: await response.json() };
}

describe('example functions', () => {
  it('every folder under functions/ bundles and type-checks', async () => {
    const names = (await readdir(FUNCTIONS, { withFileTypes: true }))
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    assert.ok(names.length >= 4);
    for (const name of names) {
      await bundleFunction(join(FUNCTIONS, name), { typecheck: true });
    }
  });

  it('fn up deploys examples that exist', async () => {
    const names = await readdir(FUNCTIONS);
    for (const name of EXAMPLES) assert.ok(names.includes(name), `functions/${name} exists`);
  });

  it('hello answers with text', async () => {
    const handler = (await load('hello')) as Handler;
    const response = await handler.fetch?.(new Request('http://fn/?name=Ada'), {}, ctx);
    assert.equal(await response?.text(), 'hello Ada from fjord\n');
  });

  it('greet-event returns a greeting for the event', async () => {
    const handler = (await load('greet-event')) as (event: unknown, c: unknown) => unknown;
    // Through JSON, as the runtime sends it: the result is an object of the bundle's own realm.
    const invoke = async (event: unknown): Promise<unknown> =>
      JSON.parse(JSON.stringify(await handler(event, ctx))) as unknown;
    assert.deepEqual(await invoke({ name: 'Ada' }), { greeting: 'hello Ada' });
    assert.deepEqual(await invoke(null), { greeting: 'hello world' });
  });

  it('json-api routes by method and path, 404 JSON otherwise', async () => {
    assert.deepEqual(await fetchJson('json-api', 'http://fn/items/2'), {
      status: 200,
      body: { id: 2, name: 'glacier' },
    });
    const missing = (await fetchJson('json-api', 'http://fn/nowhere')) as { status: number };
    assert.equal(missing.status, 404);
    const wrongMethod = await fetchJson('json-api', 'http://fn/items', { method: 'DELETE' });
    assert.equal((wrongMethod as { status: number }).status, 404);
  });

  it('echo returns method, path, headers and body', async () => {
    const echoed = await fetchJson('echo', 'http://fn/a/b?x=1', {
      method: 'POST',
      headers: { 'x-test': 'yes' },
      body: 'payload',
    });
    assert.deepEqual(echoed, {
      status: 200,
      body: {
        method: 'POST',
        path: '/a/b',
        query: { x: '1' },
        headers: { 'content-type': 'text/plain;charset=UTF-8', 'x-test': 'yes' },
        body: 'payload',
        callId: 'call-1',
      },
    });
  });
});
