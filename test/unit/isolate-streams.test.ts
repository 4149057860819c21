import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import { FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
import {
  bodyBytes,
  errorOf,
  httpPayload,
  invocationContext,
  responseOf,
} from '../fixtures/bundles/invocations.ts';

describe('isolate executor: web streams and streamed bodies', () => {
  const fixtures = new FixtureBundles();
  let executor: IsolateExecutor;

  before(() => {
    executor = new IsolateExecutor({ loadCode: fixtures.load, maxResponseBytes: 1024 * 1024 });
  });
  after(() => executor.dispose());

  const call = async (path: string, body?: string) =>
    executor.invoke(
      await fixtures.spec('streams'),
      httpPayload(body === undefined ? 'GET' : 'POST', `http://fjord.test${path}`, { body }),
      invocationContext(),
    );

  test('ReadableStream, WritableStream, TransformStream and text streams work together', async () => {
    const seen = JSON.parse(bodyBytes(responseOf(await call('/pipeline'))).toString()) as unknown;
    assert.deepEqual(seen, {
      written: ['ALPHA', 'BETA', 'GAMMA'],
      tee: [['x'], ['x']],
      text: 'héllo wörld',
      split: '✓',
      fromResponse: { streamed: true },
      viaReader: 'read me through .body',
      bodyUsed: true,
      secondRead: 'TypeError',
      clones: ['cloned', 'cloned'],
      constructors: ['function', 'function', 'function', 'function', 'function'],
    });
  });

  test('a request body read as a stream, answered with a stream, comes back whole', async () => {
    const text = 'stream me '.repeat(2000);
    const response = responseOf(await call('/echo-stream', text));
    assert.equal(bodyBytes(response).toString(), text.toUpperCase());
    assert.equal(new Map(response.headers).get('content-type'), 'text/plain');
  });

  test('chunks written after the handler returned are all part of the (buffered) response', async () => {
    const response = responseOf(await call('/slow-stream'));
    assert.equal(
      bodyBytes(response).toString(),
      ['chunk 1', 'chunk 2', 'chunk 3', 'chunk 4', 'chunk 5', ''].join('\n'),
    );
  });

  test('a streamed body past maxResponseBytes is BAD_FUNCTION_RESPONSE', async () => {
    const error = errorOf(await call('/huge-stream'));
    assert.equal(error.code, 'BAD_FUNCTION_RESPONSE');
    assert.match(error.message, /exceeds the limit of 1048576 bytes/);
  });

  test('a stream of something other than bytes, or an errored stream, fails the invocation', async () => {
    const notBytes = errorOf(await call('/not-bytes'));
    assert.equal(notBytes.code, 'FUNCTION_ERROR');
    assert.match(notBytes.message, /must produce Uint8Array chunks/);
    const errored = errorOf(await call('/errored-stream'));
    assert.equal(errored.code, 'FUNCTION_ERROR');
    assert.equal(errored.message, 'the source broke');
    assert.equal(errored.name, 'RangeError');
  });
});
