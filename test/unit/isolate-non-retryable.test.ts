/**
 * `NonRetryableError` inside an isolate: the global exists, and what a function throws with it
 * (or with `retryable: false`) reaches the retry policy as a final failure.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ExecutionOutcome } from '../../core/executor.ts';
import { followUp } from '../../core/retry-policy.ts';
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import { FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
import { eventPayload, invocationContext, valueOf } from '../fixtures/bundles/invocations.ts';
import { invocation, spec } from '../support/fixtures.ts';

const retries = { maxAttempts: 3, backoff: { initialMs: 1000, maxMs: 3000, multiplier: 2 } };

/** What follows this outcome as the first attempt of an async invocation. */
function next(outcome: ExecutionOutcome): string {
  if (outcome.ok) throw new Error('expected a failure');
  const message = invocation('job', {}, { fn: spec('job', { retries }) });
  return followUp(message, 1, outcome.error, Date.now())?.action ?? 'final';
}

describe('isolate executor: NonRetryableError', () => {
  const fixtures = new FixtureBundles();
  let executor: IsolateExecutor;

  before(() => {
    executor = new IsolateExecutor({ loadCode: fixtures.load });
  });
  after(() => executor.dispose());

  async function run(how: string | null): Promise<ExecutionOutcome> {
    const fn = await fixtures.spec('non-retryable');
    return executor.invoke(
      fn,
      eventPayload(how === null ? null : { throw: how }),
      invocationContext(),
    );
  }

  test('is a global constructor function code can use without importing it', async () => {
    assert.equal(valueOf(await run(null)), 'function');
  });

  test('thrown, the invocation fails with FUNCTION_ERROR and is not retried', async () => {
    const outcome = await run('global');
    assert.ok(!outcome.ok);
    assert.equal(outcome.error.code, 'FUNCTION_ERROR');
    assert.equal(outcome.error.message, 'bad input');
    assert.equal(outcome.error.name, 'NonRetryableError');
    assert.equal(next(outcome), 'final');
  });

  test('a subclass with its own name is final too; the stack keeps that name', async () => {
    const outcome = await run('subclass');
    assert.ok(!outcome.ok);
    assert.equal(outcome.error.name, 'NonRetryableError');
    assert.match(outcome.error.stack ?? '', /^BadInput: missing field/);
    assert.equal(next(outcome), 'final');
  });

  test('any error with retryable: false is final; retryable: true changes nothing', async () => {
    const flagged = await run('flag');
    assert.ok(!flagged.ok);
    assert.equal(flagged.error.name, 'NonRetryableError');
    assert.equal(flagged.error.message, 'quota exhausted');
    assert.match(flagged.error.stack ?? '', /^RangeError: quota exhausted/);
    assert.equal(next(flagged), 'final');

    const plain = await run('retryable');
    assert.ok(!plain.ok);
    assert.equal(plain.error.name, 'Error');
    assert.equal(next(plain), 'retry');
  });
});
