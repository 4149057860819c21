import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createManifestValidator } from '../../core/manifest.ts';
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import { FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
import {
  errorOf,
  eventPayload,
  invocationContext,
  valueOf,
} from '../fixtures/bundles/invocations.ts';

describe('isolate executor: CPU time per invocation (fn.json cpuMs)', () => {
  const fixtures = new FixtureBundles();
  let executor: IsolateExecutor;

  before(() => {
    executor = new IsolateExecutor({ loadCode: fixtures.load });
  });
  after(() => executor.dispose());

  test('a function spinning past cpuMs fails with CPU_LIMIT_EXCEEDED long before its deadline', async () => {
    const fn = await fixtures.spec('spin', { cpuMs: 50, concurrency: 1 });
    const ctx = invocationContext({ deadline: Date.now() + 60_000 });
    const outcome = await executor.invoke(fn, eventPayload({ spin: true }), ctx);
    const error = errorOf(outcome);
    assert.equal(error.code, 'CPU_LIMIT_EXCEEDED');
    assert.equal(error.message, 'function used more than its CPU time limit of 50 ms');
    assert.ok(Date.now() < ctx.deadline, 'the wall-clock deadline did not end it');
    assert.ok((outcome.cpuMs ?? 0) > 50, `recorded ${outcome.cpuMs} ms of CPU time`);
    const next = await executor.invoke(fn, eventPayload(null), invocationContext());
    assert.equal(valueOf(next), 1, 'a fresh isolate serves the next invocation');
    assert.equal(next.coldStart, true);
  });

  test('waiting is not CPU time: a function sleeping on a timer stays within a small cpuMs', async () => {
    const fn = await fixtures.spec('sleep', { cpuMs: 20 });
    const outcome = await executor.invoke(fn, eventPayload({ ms: 200 }), invocationContext());
    assert.equal(valueOf(outcome), 1);
    assert.equal(typeof outcome.cpuMs, 'number');
  });

  test('fn.json validates cpuMs and egress entries, naming the field', () => {
    const validate = createManifestValidator();
    assert.throws(() => validate({ name: 'a', cpuMs: 0 }), /field "cpuMs" must be >= 1/);
    assert.throws(
      () => validate({ name: 'a', egress: { allow: ['https://example.com/'] } }),
      /field "egress\.allow\.0" must match pattern/,
    );
    assert.throws(
      () => validate({ name: 'a', egress: {} }),
      /missing required field "egress\.allow"/,
    );
    assert.deepEqual(
      validate({ name: 'a', cpuMs: 30, egress: { allow: ['*.example.org'] } }).egress,
      {
        allow: ['*.example.org'],
      },
    );
  });
});
