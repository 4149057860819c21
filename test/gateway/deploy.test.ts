/** Deploying, listing, rolling back and deleting functions, and serving their bundles. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type {
  DeployResponse,
  FunctionListResponse,
  FunctionView,
  VersionListResponse,
} from '../../core/api.ts';
import { BUNDLE, errorOf, startHarness } from './harness.ts';

test('deploy creates version 1, declares the queue and announces the function', async (t) => {
  const h = await startHarness(t);
  const response = await h.deploy('hello', { name: 'hello', timeoutMs: 2000 });
  assert.equal(response.status, 201);
  assert.equal(response.headers.get('location'), '/v1/functions/hello');
  const body = (await response.json()) as DeployResponse;
  assert.equal(body.created, true);
  assert.equal(body.function.name, 'hello');
  assert.equal(body.function.version, 1);
  assert.equal(body.function.url, '/fn/hello');
  assert.equal(body.function.manifest.timeoutMs, 2000);
  assert.equal(body.function.manifest.runtime, 'isolate', 'defaults applied');
  assert.match(body.function.bundleSha, /^[0-9a-f]{64}$/);
  assert.ok(h.broker.declared.has('hello'));
  assert.deepEqual(h.broker.announced, [
    {
      type: 'deployed',
      fn: {
        name: 'hello',
        version: 1,
        bundleSha: body.function.bundleSha,
        runtime: 'isolate',
        memoryMb: 128,
        timeoutMs: 2000,
        concurrency: 4,
        env: {},
      },
    },
  ]);
});

test('an identical redeploy creates nothing; a changed one creates the next version', async (t) => {
  const h = await startHarness(t);
  assert.equal((await h.deploy('hello')).status, 201);
  const same = await h.deploy('hello', { name: 'hello', runtime: 'isolate' });
  assert.equal(same.status, 200, 'defaults spelled out are still the same manifest');
  const sameBody = (await same.json()) as DeployResponse;
  assert.equal(sameBody.created, false);
  assert.equal(sameBody.function.version, 1);

  const changed = await h.deploy('hello', { name: 'hello' }, `${BUNDLE}\n// v2`);
  assert.equal(changed.status, 201);
  assert.equal(((await changed.json()) as DeployResponse).function.version, 2);
  const env = await h.deploy('hello', { name: 'hello', env: { A: '1' } }, `${BUNDLE}\n// v2`);
  assert.equal(((await env.json()) as DeployResponse).function.version, 3);
});

test('deploy rejects bad names, manifests, mismatched names and broken bundles', async (t) => {
  const h = await startHarness(t);
  const cases: [string, Response, string, RegExp][] = [
    [
      'bad name',
      await h.deploy('Bad_Name', { name: 'Bad_Name' }),
      'INVALID_NAME',
      /invalid function name/,
    ],
    [
      'bad field',
      await h.deploy('hello', { name: 'hello', memoryMb: 1 }),
      'INVALID_MANIFEST',
      /field "memoryMb"/,
    ],
    [
      'unknown field',
      await h.deploy('hello', { name: 'hello', memory: 128 }),
      'INVALID_MANIFEST',
      /unknown field "memory"/,
    ],
    ['not an object', await h.deploy('hello', 'hello' as never), 'INVALID_MANIFEST', /manifest/],
    [
      'name mismatch',
      await h.deploy('hello', { name: 'other' }),
      'INVALID_MANIFEST',
      /field "name" is "other" but the URL deploys "hello"/,
    ],
    [
      'syntax error',
      await h.deploy('hello', { name: 'hello' }, 'var x = {;\n'),
      'BUNDLE_REJECTED',
      /not valid JavaScript: Unexpected token.*line 1/,
    ],
    [
      'empty bundle',
      await h.deploy('hello', { name: 'hello' }, '  '),
      'BUNDLE_REJECTED',
      /non-empty/,
    ],
  ];
  for (const [what, response, code, message] of cases) {
    assert.equal(response.status, 400, what);
    const error = await errorOf(response);
    assert.equal(error.code, code, what);
    assert.match(error.message, message, what);
  }
  assert.equal(h.broker.declared.size, 0, 'nothing declared for a rejected deploy');
  assert.equal((await h.store.listFunctions()).length, 0);
});

test('malformed JSON is 400 INVALID_JSON; a non-JSON content type is 415', async (t) => {
  const h = await startHarness(t);
  const malformed = await h.request('/v1/functions/hello', {
    method: 'PUT',
    token: 'deploy',
    headers: { 'content-type': 'application/json' },
    body: '{"manifest": {"name": "hello"},',
  });
  assert.equal(malformed.status, 400);
  assert.equal((await errorOf(malformed)).code, 'INVALID_JSON');

  const form = await h.request('/v1/functions/hello', {
    method: 'PUT',
    token: 'deploy',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'manifest=x',
  });
  assert.equal(form.status, 415);
  assert.equal((await errorOf(form)).code, 'UNSUPPORTED_MEDIA_TYPE');
});

test('a deploy larger than the limit is 413, by Content-Length or while streaming', async (t) => {
  const h = await startHarness(t, { limits: { deploy: 4096 } });
  const big = JSON.stringify({ manifest: { name: 'hello' }, bundle: `/*${'x'.repeat(8192)}*/` });
  const declared = await h.request('/v1/functions/hello', {
    method: 'PUT',
    token: 'deploy',
    headers: { 'content-type': 'application/json' },
    body: big,
  });
  assert.equal(declared.status, 413);
  assert.equal((await errorOf(declared)).code, 'PAYLOAD_TOO_LARGE');

  const chunks = [big.slice(0, 3000), big.slice(3000)];
  const streamed = await h.request('/v1/functions/hello', {
    method: 'PUT',
    token: 'deploy',
    headers: { 'content-type': 'application/json' },
    body: new ReadableStream({
      pull(controller) {
        const chunk = chunks.shift();
        if (chunk === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(chunk));
      },
    }),
    duplex: 'half',
  });
  assert.equal(streamed.status, 413);
  assert.equal((await errorOf(streamed)).code, 'PAYLOAD_TOO_LARGE');
  assert.equal((await h.store.listFunctions()).length, 0);
});

test('deploy while the broker is down is 503 and stores nothing', async (t) => {
  const h = await startHarness(t);
  h.broker.setState('down');
  const response = await h.deploy('hello');
  assert.equal(response.status, 503);
  assert.equal((await errorOf(response)).code, 'BROKER_UNAVAILABLE');
  assert.equal(response.headers.get('retry-after'), '1');
  assert.equal(await h.store.getFunction('hello'), undefined);
});

test('deploy, list, versions, rollback and delete', async (t) => {
  const h = await startHarness(t);
  await h.deploy('hello', { name: 'hello' }, `${BUNDLE} // 1`);
  await h.deploy('hello', { name: 'hello' }, `${BUNDLE} // 2`);
  await h.deploy('hello', { name: 'hello' }, `${BUNDLE} // 3`);

  const list = (await (
    await h.request('/v1/functions', { token: 'invoke' })
  ).json()) as FunctionListResponse;
  assert.deepEqual(
    list.functions.map((f) => [f.name, f.version]),
    [['hello', 3]],
  );
  const versions = (await (
    await h.request('/v1/functions/hello/versions', { token: 'invoke' })
  ).json()) as VersionListResponse;
  assert.deepEqual(
    versions.versions.map((v) => [v.version, v.active]),
    [
      [1, false],
      [2, false],
      [3, true],
    ],
  );

  const rollback = (body?: unknown) =>
    h.request('/v1/functions/hello/rollback', {
      method: 'POST',
      token: 'deploy',
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const back = await rollback();
  assert.equal(back.status, 200);
  assert.equal(((await back.json()) as FunctionView).version, 2, 'the one before the active');
  assert.deepEqual(h.broker.announced.at(-1), {
    type: 'deployed',
    fn: { ...(h.broker.announced.at(-1) as { fn: object }).fn, version: 2 },
  });
  const toOne = await rollback({ version: 1 });
  assert.equal(((await toOne.json()) as FunctionView).version, 1);
  const none = await rollback();
  assert.equal(none.status, 404);
  assert.equal((await errorOf(none)).code, 'VERSION_NOT_FOUND');
  const missing = await rollback({ version: 99 });
  assert.equal(missing.status, 404);
  assert.equal((await errorOf(missing)).code, 'VERSION_NOT_FOUND');
  const invalid = await rollback({ version: 'two' });
  assert.equal(invalid.status, 400);

  const current = await h.request('/v1/functions/hello', { token: 'invoke' });
  assert.equal(((await current.json()) as FunctionView).version, 1);

  const removed = await h.request('/v1/functions/hello', { method: 'DELETE', token: 'deploy' });
  assert.equal(removed.status, 204);
  assert.deepEqual(h.broker.deleted, ['hello']);
  assert.deepEqual(h.broker.announced.at(-1), { type: 'deleted', name: 'hello' });
  const gone = await h.request('/v1/functions/hello', { token: 'invoke' });
  assert.equal(gone.status, 404);
  assert.equal((await errorOf(gone)).code, 'FUNCTION_NOT_FOUND');
  const again = await h.request('/v1/functions/hello', { method: 'DELETE', token: 'deploy' });
  assert.equal(again.status, 404);
  const versionsGone = await h.request('/v1/functions/hello/versions', { token: 'invoke' });
  assert.equal(versionsGone.status, 404);
});

test('runtime nodes fetch bundles by sha, with an ETag', async (t) => {
  const h = await startHarness(t);
  const deployed = (await (await h.deploy('hello')).json()) as DeployResponse;
  const sha = deployed.function.bundleSha;
  const response = await h.request(`/v1/bundles/${sha}`, { token: 'node' });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^application\/javascript/);
  assert.equal(await response.text(), BUNDLE);
  const etag = response.headers.get('etag') ?? '';
  const cached = await h.request(`/v1/bundles/${sha}`, {
    token: 'node',
    // fetch adds "Cache-Control: no-cache" to conditional requests unless told otherwise.
    headers: { 'if-none-match': etag, 'cache-control': 'max-age=0' },
  });
  assert.equal(cached.status, 304);
  const unknown = await h.request(`/v1/bundles/${'0'.repeat(64)}`, { token: 'node' });
  assert.equal(unknown.status, 404);
  const garbage = await h.request('/v1/bundles/..%2F..%2Fetc', { token: 'node' });
  assert.equal(garbage.status, 404);
});
