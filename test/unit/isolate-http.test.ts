import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isRetryable } from '../../core/retry-policy.ts';
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import { FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
import {
  bodyBytes,
  errorOf,
  httpPayload,
  invocationContext,
  responseOf,
} from '../fixtures/bundles/invocations.ts';

describe('isolate executor: fetch handlers', () => {
  const fixtures = new FixtureBundles();
  let executor: IsolateExecutor;

  before(() => {
    executor = new IsolateExecutor({ loadCode: fixtures.load });
  });
  after(() => executor.dispose());

  test('a fetch handler gets the invocation ids, attempt and deadline in ctx', async () => {
    const fn = await fixtures.spec('ctx-echo');
    const ctx = invocationContext({ attempt: 3, deadline: Date.now() + 7_654 });
    const response = responseOf(
      await executor.invoke(fn, httpPayload('GET', 'http://fjord.test/'), ctx),
    );
    assert.deepEqual(JSON.parse(Buffer.from(response.body ?? '', 'base64').toString()), {
      callId: ctx.callId,
      invocationId: ctx.id,
      attempt: 3,
      deadline: ctx.deadline,
    });
  });

  test('hello returns its status, headers and body', async () => {
    const fn = await fixtures.spec('hello');
    const outcome = await executor.invoke(
      fn,
      httpPayload('GET', 'http://fjord.test/'),
      invocationContext(),
    );
    const response = responseOf(outcome);
    assert.equal(response.status, 201);
    assert.deepEqual(response.headers, [
      ['content-type', 'text/plain;charset=UTF-8'],
      ['set-cookie', 'a=1'],
      ['x-fixture', 'hello'],
    ]);
    assert.equal(bodyBytes(response).toString(), 'hello from fjord');
    assert.equal(outcome.coldStart, true);
    assert.ok(outcome.durationMs > 0);
    assert.equal(typeof outcome.cpuMs, 'number');
  });

  test('a binary body makes the round trip unchanged (bytes 0..255)', async () => {
    const fn = await fixtures.spec('echo-binary');
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const outcome = await executor.invoke(
      fn,
      httpPayload('POST', 'http://fjord.test/bin', { body: bytes }),
      invocationContext(),
    );
    const response = responseOf(outcome);
    assert.deepEqual([...bodyBytes(response)], [...bytes]);
    assert.equal(new Map(response.headers).get('x-length'), '256');
    assert.equal(new Map(response.headers).get('content-type'), 'application/octet-stream');
  });

  test('the function sees method, url, headers, JSON body and env', async () => {
    const fn = await fixtures.spec('echo-request', { env: { REGION: 'north', TOKEN: 's3cret' } });
    const outcome = await executor.invoke(
      fn,
      httpPayload('PUT', 'http://fjord.test/api/cart?q=shoes', {
        headers: [
          ['content-type', 'application/json'],
          ['x-custom', 'custom-value'],
        ],
        body: JSON.stringify({ items: [1, 2, 3] }),
      }),
      invocationContext(),
    );
    const seen = JSON.parse(bodyBytes(responseOf(outcome)).toString()) as Record<string, unknown>;
    assert.deepEqual(seen, {
      method: 'PUT',
      url: 'http://fjord.test/api/cart?q=shoes',
      path: '/api/cart',
      query: 'shoes',
      contentType: 'application/json',
      custom: 'custom-value',
      json: { items: [1, 2, 3] },
      env: { REGION: 'north', TOKEN: 's3cret' },
      envFrozen: true,
    });
  });

  test('a handler returning something else than a Response is BAD_FUNCTION_RESPONSE', async () => {
    const fn = await fixtures.spec('bad-response');
    const outcome = await executor.invoke(
      fn,
      httpPayload('GET', 'http://fjord.test/'),
      invocationContext(),
    );
    const error = errorOf(outcome);
    assert.equal(error.code, 'BAD_FUNCTION_RESPONSE');
    assert.match(error.message, /must return a Response, got an object \(Object\)/);
  });

  test('an HTTP request to a module without fetch fails with HANDLER_NOT_FOUND, saying what to do', async () => {
    const fn = await fixtures.spec('counter');
    const outcome = await executor.invoke(
      fn,
      httpPayload('GET', 'http://fjord.test/'),
      invocationContext(),
    );
    const error = errorOf(outcome);
    assert.equal(error.code, 'HANDLER_NOT_FOUND');
    assert.match(error.message, /^function has no fetch handler: it takes events .*fn invoke/);
    assert.ok(!outcome.ok && !isRetryable(outcome.error), 'final: no retry gives it a handler');
  });

  test('an event for a module with only fetch is rejected with a clear message', async () => {
    const fn = await fixtures.spec('hello');
    const outcome = await executor.invoke(fn, { kind: 'event', data: {} }, invocationContext());
    const error = errorOf(outcome);
    assert.equal(error.code, 'HANDLER_NOT_FOUND');
    assert.match(error.message, /function has no event handler/);
  });
});
