/**
 * `retryable` in the errors the API shows says what the retry policy does: a thrown Error is
 * retried, so it reads true even though its wire form says false; a NonRetryableError and a
 * 4xx-class code read false.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeadLetterDetail, DeadLetterListResponse, InvocationView } from '../../core/api.ts';
import type { ErrorData } from '../../core/errors.ts';
import { accepted, invoke, resultOf, startHarness, type Harness } from './harness.ts';

/** What the runtime sends for `throw new Error('kaboom')`: FjordError's own retryable, false. */
const thrown: ErrorData = {
  code: 'FUNCTION_ERROR',
  message: 'kaboom',
  name: 'Error',
  retryable: false,
};
const nonRetryable: ErrorData = {
  code: 'FUNCTION_ERROR',
  message: 'bad input',
  name: 'NonRetryableError',
  retryable: false,
};
const clientError: ErrorData = { code: 'PAYLOAD_TOO_LARGE', message: 'too large' };

async function view(h: Harness, id: string): Promise<InvocationView> {
  const response = await h.request(`/v1/invocations/${id}`, { token: 'invoke' });
  assert.equal(response.status, 200);
  return (await response.json()) as InvocationView;
}

test('an invocation and its history show retryable as the retry policy judged it', async (t) => {
  const h = await startHarness(t);
  await h.deploy('rt-job');
  const cases = [
    [thrown, true],
    [nonRetryable, false],
    [clientError, false],
  ] as const;
  for (const [error, retryable] of cases) {
    const message = await accepted(h, 'rt-job');
    const result = resultOf(message, { error });
    const next = retryable ? { next: { action: 'retry', at: Date.now() + 60_000 } as const } : {};
    await h.broker.publishResult({ type: 'finished', result: { ...result, ...next } });
    const shown = await view(h, message.id);
    assert.equal(shown.status, retryable ? 'retrying' : 'failed', error.message);
    assert.equal(shown.error?.retryable, retryable, error.message);
    assert.deepEqual(
      shown.history?.map((a) => a.error?.retryable),
      [retryable],
      error.message,
    );
  }
});

test('a dead letter of a thrown Error reads retryable: it was retried until the last attempt', async (t) => {
  const h = await startHarness(t);
  await h.deploy('rt-dead');
  const message = await accepted(h, 'rt-dead');
  const last = {
    ...resultOf(message, { error: thrown }, { attempt: 3 }),
    next: { action: 'dead' as const },
  };
  await h.broker.publishResult({ type: 'finished', result: last } as const);
  await h.broker.emitDeadLetter({
    message,
    attempt: 3,
    error: thrown,
    node: 'node-a',
    deadAt: 5000,
    ran: true,
  });
  const list = await h.request('/v1/functions/rt-dead/dlq', { token: 'invoke' });
  const [entry] = ((await list.json()) as DeadLetterListResponse).deadLetters;
  assert.equal(entry?.error.retryable, true);
  const shown = await h.request(`/v1/functions/rt-dead/dlq/${message.id}`, { token: 'invoke' });
  const detail = (await shown.json()) as DeadLetterDetail;
  assert.deepEqual(
    detail.history.map((a) => a.error?.retryable),
    [true],
  );
});

test('?wait=true shows retryable as the policy judges it too', async (t) => {
  const h = await startHarness(t);
  await h.deploy('rt-sync');
  for (const [error, retryable] of [
    [thrown, true],
    [nonRetryable, false],
  ] as const) {
    const pending = invoke(h, 'rt-sync', '{}', '?wait=true');
    const call = await h.broker.calls.next();
    call.reply(resultOf(call.message, { error }));
    const response = await pending;
    assert.equal(response.status, 502);
    const body = (await response.json()) as InvocationView;
    assert.equal(body.error?.retryable, retryable, error.message);
  }
});
