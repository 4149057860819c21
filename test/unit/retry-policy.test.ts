/** The retry policy: backoff, what follows a failed attempt, which deliveries are refused. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ErrorData } from '../../core/errors.ts';
import type { InvocationMessage } from '../../core/messages.ts';
import {
  backoffMs,
  DEFAULT_MAX_EVENT_AGE_MS,
  followUp,
  isRetryable,
  refuseDelivery,
  retrySettings,
} from '../../core/retry-policy.ts';
import { invocation, spec } from '../support/fixtures.ts';

const boom: ErrorData = { code: 'FUNCTION_ERROR', message: 'boom' };
const retries = { maxAttempts: 3, backoff: { initialMs: 1000, maxMs: 3000, multiplier: 2 } };

function message(overrides: Partial<InvocationMessage> = {}): InvocationMessage {
  return invocation('job', {}, { fn: spec('job', { retries }), acceptedAt: 0, ...overrides });
}

test('backoff doubles up to its cap, with jitter between half and all of the delay', () => {
  const backoff = retries.backoff;
  assert.deepEqual(
    [1, 2, 3, 4].map((n) => backoffMs(backoff, n, () => 1)),
    [1000, 2000, 3000, 3000],
  );
  assert.deepEqual(
    [1, 2, 3].map((n) => backoffMs(backoff, n, () => 0)),
    [500, 1000, 1500],
  );
});

test('settings fill in what fn.json left out', () => {
  const partial = retrySettings(spec('job', { retries: { backoff: { initialMs: 200 } } }));
  assert.deepEqual(partial.policy, {
    maxAttempts: 3,
    backoff: { initialMs: 200, maxMs: 60_000, multiplier: 2 },
  });
  assert.equal(partial.maxEventAgeMs, DEFAULT_MAX_EVENT_AGE_MS);
});

test('a failed async attempt retries until the last one, which goes to the dead letters', () => {
  const m = message();
  assert.deepEqual(
    followUp(m, 1, boom, 10_000, () => 1),
    { action: 'retry', at: 11_000 },
  );
  assert.deepEqual(
    followUp(m, 2, boom, 10_000, () => 1),
    { action: 'retry', at: 12_000 },
  );
  assert.deepEqual(followUp(m, 3, boom, 10_000), { action: 'dead' });
  const timeout: ErrorData = { code: 'INVOCATION_TIMEOUT', message: 'late' };
  assert.equal(followUp(m, 1, timeout, 0)?.action, 'retry', 'a timeout is retried');
});

test('sync invocations, NonRetryableError and 4xx-class errors are final at once', () => {
  assert.equal(followUp(message({ mode: 'sync' }), 1, boom, 0), undefined);
  const marked = { ...boom, name: 'NonRetryableError' };
  assert.equal(isRetryable(marked), false);
  assert.equal(followUp(message(), 1, marked, 0), undefined);
  assert.equal(followUp(message(), 1, { code: 'BAD_REQUEST', message: 'x' }, 0), undefined);
  assert.equal(isRetryable({ code: 'FUNCTION_CRASHED', message: 'x' }), true);
});

test('a retry past the event age is given up on now', () => {
  const young = message({ fn: spec('job', { retries, maxEventAgeMs: 5000 }) });
  assert.equal(followUp(young, 1, boom, 3000, () => 1)?.action, 'retry');
  assert.deepEqual(
    followUp(young, 1, boom, 4500, () => 1),
    { action: 'dead' },
  );
});

test('deliveries past the budget or the event age are refused; a redrive starts both anew', () => {
  const m = message({ fn: spec('job', { retries, maxEventAgeMs: 5000 }) });
  assert.equal(refuseDelivery(m, 3, 1000), undefined);
  assert.equal(refuseDelivery(m, 4, 1000)?.code, 'DELIVERY_LIMIT_EXCEEDED');
  assert.equal(refuseDelivery(m, 1, 5001)?.code, 'EVENT_EXPIRED');
  const redriven = { ...m, priorAttempts: 3, redrive: { fromAttempt: 4, at: 100_000 } };
  assert.equal(refuseDelivery(redriven, 4, 100_500), undefined);
  assert.equal(refuseDelivery(redriven, 6, 100_500), undefined);
  assert.equal(refuseDelivery(redriven, 7, 100_500)?.code, 'DELIVERY_LIMIT_EXCEEDED');
  assert.equal(refuseDelivery({ ...m, mode: 'sync' }, 9, 9_999_999), undefined);
});
