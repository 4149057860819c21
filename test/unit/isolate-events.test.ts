import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import { FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
import {
  errorOf,
  eventPayload,
  invocationContext,
  valueOf,
} from '../fixtures/bundles/invocations.ts';

describe('isolate executor: event handlers and console', () => {
  const fixtures = new FixtureBundles();
  let executor: IsolateExecutor;

  before(() => {
    executor = new IsolateExecutor({ loadCode: fixtures.load, logLimitBytes: 16 * 1024 });
  });
  after(() => executor.dispose());

  test('an event handler gets the event and ctx and returns JSON', async () => {
    const fn = await fixtures.spec('event-echo', { env: { STAGE: 'test' } });
    const ctx = invocationContext({ attempt: 2 });
    const outcome = await executor.invoke(fn, eventPayload({ name: 'ada', n: [1, 2] }), ctx);
    assert.deepEqual(valueOf(outcome), {
      greeting: 'hello ada',
      event: { name: 'ada', n: [1, 2] },
      callId: ctx.callId,
      invocationId: ctx.id,
      attempt: 2,
      deadlineIsNumber: true,
      env: { STAGE: 'test' },
    });
  });

  test('a result JSON cannot represent is BAD_FUNCTION_RESPONSE', async () => {
    const fn = await fixtures.spec('bigint-result');
    const error = errorOf(await executor.invoke(fn, eventPayload(null), invocationContext()));
    assert.equal(error.code, 'BAD_FUNCTION_RESPONSE');
    assert.match(error.message, /JSON-serializable/);
  });

  test('console output is captured per invocation, formatted like console.log', async () => {
    const fn = await fixtures.spec('console-log');
    const first = await executor.invoke(fn, eventPayload({ tag: 'first' }), invocationContext());
    const second = await executor.invoke(fn, eventPayload({ tag: 'second' }), invocationContext());
    assert.equal(second.coldStart, false);

    const lines = (outcome: typeof first): string[] =>
      outcome.logs.map((entry) => `${entry.level} ${entry.message.split('\n')[0]}`);
    assert.deepEqual(lines(first), [
      'info log first { nested: { n: 1 }, list: [ 1, "two" ] }',
      'info info first=42',
      'debug debug first',
      'warn warn first',
      'error error first TypeError: shown with its stack',
      'info ctx.log first',
    ]);
    assert.deepEqual(
      lines(second),
      lines(first).map((line) => line.replace('first', 'second')),
    );
    assert.match(first.logs[4]?.message ?? '', /\n\s+at /, 'errors are printed with their stack');
    for (const entry of first.logs) assert.ok(Math.abs(entry.ts - Date.now()) < 60_000);
  });

  test('timers left pending when an invocation ends never log into the next one', async () => {
    const fn = await fixtures.spec('late-timer');
    const first = await executor.invoke(fn, eventPayload({ tag: 'one' }), invocationContext());
    const second = await executor.invoke(fn, eventPayload({ tag: 'two' }), invocationContext());
    assert.deepEqual(
      first.logs.map((e) => e.message),
      ['now one'],
    );
    assert.deepEqual(
      second.logs.map((e) => e.message),
      ['now two'],
    );
  });

  test('console output past the per-invocation limit is cut with a marker', async () => {
    const fn = await fixtures.spec('console-log');
    const outcome = await executor.invoke(
      fn,
      eventPayload({ tag: 'bulk', bulk: 100 }),
      invocationContext(),
    );
    assert.equal(valueOf(outcome), 'bulk');
    const total = outcome.logs.reduce((sum, e) => sum + Buffer.byteLength(e.message), 0);
    const last = outcome.logs.at(-1);
    assert.match(last?.message ?? '', /log output truncated: more than 16384 bytes/);
    assert.ok(total < 16 * 1024 + 200, `kept ${total} bytes`);
    assert.ok(outcome.logs.length < 30);
  });
});
