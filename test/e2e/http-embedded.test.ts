/**
 * `fn up` on embedded defaults, as a real process, driven over HTTP: the HTTP trigger contract,
 * async acceptance, and every bad-input and fault case of the core issue.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ErrorBody, InvocationView } from '../../core/api.ts';
import { Api, readCredentials } from './support/api.ts';
import { startFn, type FnServer } from './support/fn-process.ts';

describe('fn up (embedded broker and store) over HTTP', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fjord-e2e-'));
  let server: FnServer;
  let api: Api;

  before(async () => {
    server = await startFn(['up', '--port', '0', '--data-dir', join(dir, '.fn')], { cwd: dir });
    assert.ok(server.ready.credentials, 'fn up reports where it wrote credentials');
    api = new Api(readCredentials(server.ready.credentials));
    await api.deployFixture('echo-request', 'echo-request', { env: { GREETING: 'hi' } });
    await api.deployFixture('echo-binary', 'echo-binary');
    await api.deployFixture('throws', 'throws');
    await api.deployFixture('hang', 'hang', { timeoutMs: 500 });
    await api.deployFixture('memory-bomb', 'memory-bomb', { memoryMb: 16 });
    await api.deployFixture('console-log', 'console-log');
    await api.deployFixture('private', 'hello', { triggers: { http: { public: false } } });
  });

  after(async () => {
    const code = await server?.stop();
    rmSync(dir, { recursive: true, force: true });
    assert.equal(code, 0, 'fn up exits 0 on SIGTERM');
  });

  test('the example deployed by fn up answers at /fn/hello', async () => {
    assert.ok(server.ready.examples?.includes('hello'));
    const response = await fetch(`${api.base}/fn/hello`);
    assert.equal(response.status, 200);
    assert.match(await response.text(), /hello/i);
  });

  test('a fetch handler sees the request without the /fn/NAME prefix, with its env', async () => {
    const response = await api.fetch('/fn/echo-request/api/cart?q=1', {
      method: 'POST',
      auth: false,
      headers: { 'content-type': 'application/json', 'x-custom': 'yes', 'x-call-id': 'my-call-1' },
      body: JSON.stringify({ item: 42 }),
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-call-id'), 'my-call-1');
    assert.match(response.headers.get('server-timing') ?? '', /exec;dur=/);
    const seen = (await response.json()) as Record<string, unknown>;
    assert.equal(seen.method, 'POST');
    assert.equal(seen.path, '/api/cart');
    assert.equal(seen.query, '1');
    assert.equal(seen.custom, 'yes');
    assert.deepEqual(seen.json, { item: 42 });
    assert.deepEqual(seen.env, { GREETING: 'hi' });
  });

  test('binary bodies go through byte for byte', async () => {
    const bytes = new Uint8Array(70_000).map((_, i) => (i * 31 + 7) % 256);
    const response = await api.fetch('/fn/echo-binary', {
      method: 'PUT',
      auth: false,
      body: bytes,
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-length'), String(bytes.length));
    assert.deepEqual(new Uint8Array(await response.arrayBuffer()), bytes);
  });

  test('Prefer: respond-async gives 202 + Location, and the record shows result and logs', async () => {
    const response = await api.fetch('/fn/echo-request/x', {
      method: 'POST',
      auth: false,
      headers: { prefer: 'respond-async', 'content-type': 'application/json' },
      body: '{"async":true}',
    });
    assert.equal(response.status, 202);
    const { id } = (await response.json()) as { id: string };
    assert.equal(response.headers.get('location'), `/v1/invocations/${id}`);
    const view = await api.settled(id);
    assert.equal(view.status, 'succeeded');
    assert.equal(view.trigger, 'http');
    assert.ok(view.attempts >= 1);
    assert.ok(view.startedAt && view.endedAt && view.node);
  });

  test('an async event invocation records console output per invocation', async () => {
    const id = await api.invokeAsync('console-log', { tag: 'e2e-tag' });
    const view = await api.settled(id);
    assert.equal(view.status, 'succeeded');
    assert.equal(view.result, 'e2e-tag');
    const messages = view.logs.map((l) => l.message).join('\n');
    assert.match(messages, /log e2e-tag/);
    assert.ok(view.logs.some((l) => l.level === 'error' && /shown with its stack/.test(l.message)));
  });

  test('?wait=true returns the result inline', async () => {
    const { status, body } = await api.json<InvocationView>(
      '/v1/functions/console-log/invocations?wait=true',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"tag":"inline"}',
      },
    );
    assert.equal(status, 200);
    assert.equal(body.status, 'succeeded');
    assert.equal(body.result, 'inline');
  });

  test('a function that throws is a 502 with its message; the platform stays up', async () => {
    const response = await api.fetch('/fn/throws', { auth: false });
    assert.equal(response.status, 502);
    const body = (await response.json()) as ErrorBody;
    assert.equal(body.error.code, 'FUNCTION_ERROR');
    assert.match(body.error.message, /failed on purpose/);
    assert.ok(body.error.callId);
    assert.equal((await fetch(`${api.base}/fn/hello`)).status, 200);
  });

  test('a function that never returns is a 504 at its deadline; the next call works', async () => {
    const { status, body } = await api.json<InvocationView>(
      '/v1/functions/hang/invocations?wait=true',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      },
    );
    assert.equal(status, 504);
    assert.equal(body.error?.code, 'INVOCATION_TIMEOUT');
    assert.equal((await fetch(`${api.base}/fn/hello`)).status, 200);
  });

  test('a function that allocates without bound fails clearly and others keep serving', async () => {
    const { status, body } = await api.json<InvocationView>(
      '/v1/functions/memory-bomb/invocations?wait=true',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      },
    );
    assert.equal(status, 502);
    assert.equal(body.error?.code, 'MEMORY_LIMIT_EXCEEDED');
    assert.equal((await fetch(`${api.base}/fn/hello`)).status, 200);
  });

  test('an unknown function is a 404 before anything is queued', async () => {
    const response = await api.fetch('/fn/nope-not-here', {
      auth: false,
      headers: { prefer: 'respond-async' },
    });
    assert.equal(response.status, 404);
    assert.equal(((await response.json()) as ErrorBody).error.code, 'FUNCTION_NOT_FOUND');
  });

  test('HTTP to an event-only function: 404 HANDLER_NOT_FOUND, and async it fails at once, not retried', async () => {
    const sync = await api.fetch('/fn/console-log', { auth: false });
    assert.equal(sync.status, 404);
    const body = (await sync.json()) as ErrorBody;
    assert.equal(body.error.code, 'HANDLER_NOT_FOUND');
    assert.match(body.error.message, /^function has no fetch handler/);
    const accepted = await api.fetch('/fn/console-log', {
      auth: false,
      headers: { prefer: 'respond-async' },
    });
    assert.equal(accepted.status, 202);
    const { id } = (await accepted.json()) as { id: string };
    const view = await api.settled(id);
    assert.equal(view.status, 'failed', 'final at once: no retry gives it a fetch handler');
    assert.equal(view.attempts, 1);
    assert.equal(view.error?.code, 'HANDLER_NOT_FOUND');
    assert.match(view.error?.message ?? '', /fn invoke/);
  });

  test('malformed JSON, oversized bodies and invalid names are client errors', async () => {
    const malformed = await api.json<ErrorBody>('/v1/functions/console-log/invocations', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"tag":',
    });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.code, 'INVALID_JSON');

    const big = await api.fetch('/fn/echo-binary', {
      method: 'POST',
      auth: false,
      body: new Uint8Array(7 * 1024 * 1024),
    });
    assert.equal(big.status, 413);
    assert.equal(((await big.json()) as ErrorBody).error.code, 'PAYLOAD_TOO_LARGE');

    const invalid = await api.json<ErrorBody>('/v1/functions/Bad_Name', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ manifest: { name: 'Bad_Name' }, bundle: 'x' }),
    });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.error.code, 'INVALID_NAME');
  });

  test('the control API needs a token, and private functions need one too', async () => {
    const missing = await api.fetch('/v1/functions', { auth: false });
    assert.equal(missing.status, 401);
    const wrong = await api.fetch('/v1/functions', {
      auth: false,
      headers: { authorization: 'Bearer nope' },
    });
    assert.equal(wrong.status, 401);
    assert.equal((await api.fetch('/fn/private', { auth: false })).status, 401);
    assert.equal((await api.fetch('/fn/private')).status, 201, 'the hello fixture answers 201');
  });

  test('health and readiness answer without a token', async () => {
    assert.equal((await fetch(`${api.base}/healthz`)).status, 200);
    assert.equal((await fetch(`${api.base}/readyz`)).status, 200);
  });
});
