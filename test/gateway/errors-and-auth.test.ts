/** The error shape, call ids, tokens and scopes, logging hygiene, health and readiness. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ErrorBody, FunctionListResponse, HealthResponse } from '../../core/api.ts';
import { waitFor } from '../support/inbox.ts';
import { errorOf, startHarness } from './harness.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

test('unknown routes answer 404 ROUTE_NOT_FOUND in the error shape, echoing the call id', async (t) => {
  const h = await startHarness(t);
  const response = await h.request('/nope', { headers: { 'x-call-id': 'client-call-1' } });
  assert.equal(response.status, 404);
  assert.equal(response.headers.get('x-call-id'), 'client-call-1');
  assert.match(response.headers.get('content-type') ?? '', /application\/json/);
  const error = await errorOf(response);
  assert.equal(error.code, 'ROUTE_NOT_FOUND');
  assert.equal(error.callId, 'client-call-1');
});

test('an unacceptable X-Call-Id is replaced by a generated one, on success too', async (t) => {
  const h = await startHarness(t);
  const bad = await h.request('/healthz', { headers: { 'x-call-id': 'has spaces in it' } });
  assert.equal(bad.status, 200);
  assert.match(bad.headers.get('x-call-id') ?? '', UUID);
  const none = await h.request('/v1/functions');
  const generated = none.headers.get('x-call-id') ?? '';
  assert.match(generated, UUID);
  assert.equal((await errorOf(none)).callId, generated);
});

test('a known path with the wrong method is 405 METHOD_NOT_ALLOWED with Allow', async (t) => {
  const h = await startHarness(t);
  const response = await h.request('/v1/nodes', { method: 'POST', token: 'admin' });
  assert.equal(response.status, 405);
  assert.match(response.headers.get('allow') ?? '', /GET/);
  assert.equal((await errorOf(response)).code, 'METHOD_NOT_ALLOWED');
});

test('the invocations routes (a router of their own) answer a wrong method as the others do', async (t) => {
  const h = await startHarness(t);
  const wrong = await h.request('/v1/functions/some-fn/invocations', { token: 'admin' });
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.get('allow'), 'POST');
  assert.equal((await errorOf(wrong)).code, 'METHOD_NOT_ALLOWED');
  const put = await h.request('/v1/invocations/abc', { method: 'PUT', token: 'admin' });
  assert.equal(put.status, 405);
  assert.match(put.headers.get('allow') ?? '', /^HEAD, GET, DELETE$/);
  const options = await h.request('/v1/functions/some-fn/invocations', { method: 'OPTIONS' });
  assert.equal(options.status, 200);
  assert.equal(options.headers.get('allow'), 'POST');
  const unknown = await h.request('/v1/functions/some-fn/invocations/x', { token: 'admin' });
  assert.equal(unknown.status, 404);
  assert.equal((await errorOf(unknown)).code, 'ROUTE_NOT_FOUND');
});

test('a missing or unknown token is 401 with WWW-Authenticate', async (t) => {
  const h = await startHarness(t);
  const missing = await h.request('/v1/functions');
  assert.equal(missing.status, 401);
  assert.match(missing.headers.get('www-authenticate') ?? '', /^Bearer/);
  assert.equal((await errorOf(missing)).code, 'UNAUTHORIZED');

  const forged = `fjd_${'0'.repeat(16)}_${'A'.repeat(43)}`;
  const unknown = await h.request('/v1/functions', { token: forged });
  assert.equal(unknown.status, 401);
  assert.match(unknown.headers.get('www-authenticate') ?? '', /invalid_token/);

  const basic = await h.request('/v1/functions', { headers: { authorization: 'Basic eDp5' } });
  assert.equal(basic.status, 401);
});

test('scopes nest admin > deploy > invoke; node only reads functions and bundles', async (t) => {
  const h = await startHarness(t);
  const deploy = (token: string) =>
    h.request('/v1/functions/scoped', {
      method: 'PUT',
      token,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ manifest: { name: 'scoped' }, bundle: 'var __fjord_module = {};' }),
    });
  for (const scope of ['invoke', 'node']) {
    const response = await deploy(scope);
    assert.equal(response.status, 403, scope);
    assert.equal((await errorOf(response)).code, 'FORBIDDEN');
  }
  assert.equal((await deploy('admin')).status, 201);
  assert.equal((await deploy('deploy')).status, 200);

  const sha = (
    (await h
      .request('/v1/functions', { token: 'node' })
      .then((r) => r.json())) as FunctionListResponse
  ).functions[0]?.bundleSha;
  assert.ok(sha);
  for (const [scope, status] of [
    ['node', 200],
    ['admin', 200],
    ['deploy', 403],
    ['invoke', 403],
  ] as const) {
    const bundle = await h.request(`/v1/bundles/${sha}`, { token: scope });
    assert.equal(bundle.status, status, `bundle with ${scope}`);
    await bundle.body?.cancel();
  }
  const nodeReadsOne = await h.request('/v1/functions/scoped', { token: 'node' });
  assert.equal(nodeReadsOne.status, 403);
  const invokeReads = await h.request('/v1/functions/scoped', { token: 'invoke' });
  assert.equal(invokeReads.status, 200);
  await invokeReads.body?.cancel();
});

test('an invalid name is 400 INVALID_NAME, but only once authenticated', async (t) => {
  const h = await startHarness(t);
  const anonymous = await h.request('/v1/functions/Bad_Name');
  assert.equal(anonymous.status, 401);
  const response = await h.request('/v1/functions/Bad_Name', { token: 'invoke' });
  assert.equal(response.status, 400);
  assert.equal((await errorOf(response)).code, 'INVALID_NAME');
});

test('tokens never reach the log, and requests are logged with call id and status', async (t) => {
  const h = await startHarness(t);
  const response = await h.request('/v1/functions', {
    token: 'admin',
    headers: { 'x-call-id': 'logged-call' },
  });
  assert.equal(response.status, 200);
  await h
    .request('/v1/functions', {
      token: 'fjd_not_a_real_token',
      headers: { 'x-call-id': 'rejected-call' },
    })
    .then((r) => r.body?.cancel());
  // The request log's lines skip redaction: a token in the query string must not reach them.
  await h
    .request(`/v1/functions?token=${h.tokens.deploy}`, {
      token: 'invoke',
      headers: { 'x-call-id': 'query-token-call' },
    })
    .then((r) => r.body?.cancel());
  // A request's line is written after its response: wait for all three before looking.
  const callIds = ['logged-call', 'rejected-call', 'query-token-call'];
  await waitFor(() => callIds.every((id) => h.logLines.some((line) => line.includes(id))), {
    what: 'the three request log lines',
  });
  const lines = h.logLines.join('');
  assert.ok(!lines.includes(h.tokens.deploy), 'token in a query string logged');
  assert.ok(!lines.includes(h.tokens.invoke), 'invoke token logged');
  assert.ok(!lines.includes(h.tokens.admin), 'admin token logged');
  assert.ok(!lines.includes('fjd_not_a_real_token'), 'rejected token logged');
  const entry = h.logLines
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .find((line) => line.callId === 'logged-call');
  assert.deepEqual(
    { method: entry?.method, path: entry?.path, status: entry?.status },
    { method: 'GET', path: '/v1/functions', status: 200 },
  );
  assert.equal(typeof entry?.ms, 'number');
  const rejected = h.logLines
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .find((line) => line.status === 401);
  assert.equal(rejected?.code, 'UNAUTHORIZED', 'failed requests are logged with their code');
});

test('/healthz and /readyz need no token; /readyz is 503 while the broker is down', async (t) => {
  const h = await startHarness(t);
  assert.equal((await h.request('/healthz')).status, 200);
  const ready = await h.request('/readyz');
  assert.equal(ready.status, 200);
  assert.deepEqual(await ready.json(), {
    status: 'ok',
    broker: 'up',
    store: 'ok',
  } satisfies HealthResponse);

  h.broker.setState('down');
  const down = await h.request('/readyz');
  assert.equal(down.status, 503);
  assert.deepEqual(await down.json(), {
    status: 'unavailable',
    broker: 'down',
    store: 'ok',
  } satisfies HealthResponse);
  assert.equal((await h.request('/healthz')).status, 200);
});

test('/readyz is 503 when the store does not answer', async (t) => {
  const h = await startHarness(t);
  await h.store.close();
  const response = await h.request('/readyz');
  assert.equal(response.status, 503);
  assert.equal(((await response.json()) as HealthResponse).store, 'unavailable');
  await h.store.init();
});

test('a platform fault is a 500 with a generic message; its stack is only logged', async (t) => {
  const h = await startHarness(t);
  const sabotaged = h.store as unknown as { listFunctions: () => Promise<never> };
  sabotaged.listFunctions = () => Promise.reject(new Error('disk on fire at /var/secret/path'));
  const response = await h.request('/v1/functions', { token: 'invoke' });
  assert.equal(response.status, 500);
  const text = await response.text();
  assert.ok(!text.includes('disk on fire') && !text.includes('/var/secret'), text);
  assert.deepEqual((JSON.parse(text) as ErrorBody).error, {
    code: 'INTERNAL',
    message: 'internal error',
    callId: response.headers.get('x-call-id'),
  });
  assert.ok(h.logLines.some((line) => line.includes('disk on fire') && line.includes('stack')));
});
