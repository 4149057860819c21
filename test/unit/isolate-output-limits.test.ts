/**
 * Output limits of one invocation: console output past logLimitBytes is cut with one marker, and
 * a response body or event result past maxResponseBytes fails with its own code.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import { FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
import {
  errorOf,
  eventPayload,
  httpPayload,
  invocationContext,
  valueOf,
} from '../fixtures/bundles/invocations.ts';
import { uniqueName } from '../support/fixtures.ts';

const LOG_LIMIT = 16 * 1024;

describe('isolate executor: output limits', () => {
  const fixtures = new FixtureBundles();
  let executor: IsolateExecutor;

  before(() => {
    executor = new IsolateExecutor({
      loadCode: fixtures.load,
      logLimitBytes: LOG_LIMIT,
      maxResponseBytes: 1024 * 1024,
    });
  });
  after(() => executor.dispose());

  test('a log flood is cut with a marker: a long one keeps its isolate, an endless one is stopped', async () => {
    const fn = await fixtures.spec('noisy', { name: uniqueName('chatty'), concurrency: 1 });
    const long = await executor.invoke(fn, eventPayload({ mode: 'chatty' }), invocationContext());
    assert.equal(valueOf(long), 'said it all');
    assert.match(long.logs.at(-1)?.message ?? '', /log output truncated: more than 16384 bytes/);
    assert.equal(long.logs.filter((e) => /truncated/.test(e.message)).length, 1);
    const kept = long.logs.reduce((sum, e) => sum + Buffer.byteLength(e.message), 0);
    assert.ok(kept < LOG_LIMIT + 200, `kept ${kept} bytes`);
    const next = await executor.invoke(fn, eventPayload({ mode: 'ok' }), invocationContext());
    assert.equal(next.coldStart, false, 'truncated logs alone are no reason to replace an isolate');

    // Warm, so the flood starts at once; lines still in flight when the isolate is disposed at
    // the deadline are not waited for, so the deadline leaves them time to arrive.
    const endless = await executor.invoke(
      fn,
      eventPayload({ mode: 'flood' }),
      invocationContext({ deadline: Date.now() + 1500 }),
    );
    assert.equal(errorOf(endless).code, 'INVOCATION_TIMEOUT');
    assert.equal(endless.coldStart, false);
    assert.match(endless.logs.at(-1)?.message ?? '', /log output truncated/);
    const after = await executor.invoke(fn, eventPayload({ mode: 'ok' }), invocationContext());
    assert.equal(after.coldStart, true, 'the flooding isolate was replaced');
  });

  test('a response body or an event result past maxResponseBytes is BAD_FUNCTION_RESPONSE', async () => {
    const fn = await fixtures.spec('noisy', { name: uniqueName('huge') });
    const body = errorOf(
      await executor.invoke(fn, httpPayload('GET', 'http://fjord.test/'), invocationContext()),
    );
    assert.equal(body.code, 'BAD_FUNCTION_RESPONSE');
    assert.match(body.message, /response body exceeds the limit of 1048576 bytes/);
    const result = errorOf(
      await executor.invoke(fn, eventPayload({ mode: 'huge' }), invocationContext()),
    );
    assert.equal(result.code, 'BAD_FUNCTION_RESPONSE');
    assert.match(result.message, /event result exceeds the limit of 1048576 bytes/);
  });
});
