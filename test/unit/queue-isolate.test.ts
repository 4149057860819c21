import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { QueueBatchEvent, QueueBatchOutcome, QueueMessageData } from '../../core/messages.ts';
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import { FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
import {
  errorOf,
  eventPayload,
  invocationContext,
  valueOf,
} from '../fixtures/bundles/invocations.ts';

function message(body: QueueMessageData['body'], id = 'm'): QueueMessageData {
  return { id, timestamp: 1_700_000_000_000, attempts: 1, headers: { 'x-k': 'v' }, body };
}

function batch(...bodies: QueueMessageData['body'][]): QueueBatchEvent {
  return { type: 'queue', queue: 'q', messages: bodies.map((b, i) => message(b, `m${i}`)) };
}

const text = (value: string): QueueMessageData['body'] => ({ text: value });

describe('isolate executor: queue(batch, env, ctx)', () => {
  const fixtures = new FixtureBundles();
  let executor: IsolateExecutor;

  before(() => {
    executor = new IsolateExecutor({ loadCode: fixtures.load, logLimitBytes: 16 * 1024 });
  });
  after(() => executor.dispose());

  const run = async (fixture: string, event: QueueBatchEvent) =>
    executor.invoke(await fixtures.spec(fixture), eventPayload(event), invocationContext());
  const outcomeOf = async (fixture: string, event: QueueBatchEvent) =>
    valueOf(await run(fixture, event)) as QueueBatchOutcome;

  test('msg.ack() and msg.retry() are recorded per message; the first call wins', async () => {
    const outcome = await outcomeOf(
      'queue-settle',
      batch(text('ack'), text('retry'), text('retry-later'), text('ack-then-retry'), text('-')),
    );
    assert.deepEqual(outcome, {
      type: 'queue-outcome',
      decisions: [
        { action: 'ack' },
        { action: 'retry' },
        { action: 'retry', delaySeconds: 7 },
        { action: 'ack' },
        null,
      ],
    });
  });

  test('ackAll() and retryAll() settle only what is still open', async () => {
    const acked = await outcomeOf('queue-settle', batch(text('ackAll'), text('retry')));
    assert.deepEqual(acked.decisions, [{ action: 'ack' }, { action: 'retry' }]);
    const retried = await outcomeOf('queue-settle', batch(text('retryAll'), text('ack')));
    assert.deepEqual(retried.decisions, [{ action: 'retry', delaySeconds: 3 }, { action: 'ack' }]);
  });

  test('a throw keeps the explicit decisions and carries the error', async () => {
    const outcome = await outcomeOf('queue-settle', batch(text('ack'), text('throw')));
    assert.deepEqual(outcome.decisions, [{ action: 'ack' }, null]);
    assert.equal(outcome.error?.code, 'FUNCTION_ERROR');
    assert.equal(outcome.error?.name, 'TypeError');
    assert.equal(outcome.error?.message, 'boom');
  });

  test('bodies arrive parsed (JSON), as strings (text) or as ArrayBuffers (bytes)', async () => {
    const result = await run(
      'queue-recorder',
      batch({ json: { a: [1] } }, text('hi'), { base64: Buffer.from([0, 255]).toString('base64') }),
    );
    const lines = result.logs.map((l) => JSON.parse(l.message) as Record<string, unknown>);
    assert.deepEqual(
      lines.map((l) => [l.kind, l.body, l.headers, l.timestamp, l.attempts]),
      [
        ['object', { a: [1] }, { 'x-k': 'v' }, 'date', 1],
        ['string', 'hi', { 'x-k': 'v' }, 'date', 1],
        ['bytes', [0, 255], { 'x-k': 'v' }, 'date', 1],
      ],
    );
  });

  test('a default-export function runs once per message; a throw retries that message', async () => {
    const ok = await outcomeOf('event-echo', batch({ json: { name: 'a' } }, { json: {} }));
    assert.deepEqual(ok, {
      type: 'queue-outcome',
      decisions: [{ action: 'ack' }, { action: 'ack' }],
    });
    const failed = await outcomeOf('throws', batch(text('x')));
    assert.deepEqual(failed.decisions, [{ action: 'retry' }]);
    assert.equal(failed.error?.name, 'TypeError');
  });

  test('ctx.queues.send() records JSON and text sends in order', async () => {
    const fn = await fixtures.spec('queue-chain', { env: { NEXT: 'next-q', NOTE: 'yes' } });
    const event = batch({ json: { hop: 2, n: 1 } });
    const outcome = valueOf(
      await executor.invoke(fn, eventPayload(event), invocationContext()),
    ) as QueueBatchOutcome;
    assert.deepEqual(outcome.decisions, [null]);
    assert.deepEqual(outcome.sends, [
      { queue: 'next-q', body: { json: { hop: 3, n: 1 } }, contentType: 'application/json' },
      { queue: 'next-q', body: { text: 'forwarded m0' }, contentType: 'text/plain' },
    ]);
  });

  test('a send to an empty queue name rejects with a TypeError', async () => {
    const outcome = await outcomeOf('queue-chain', batch({ json: { bad: true } }));
    assert.equal(outcome.error?.name, 'TypeError');
    assert.match(outcome.error?.message ?? '', /queue name/);
    assert.equal(outcome.sends, undefined);
  });

  test('a module without queue() fails the batch with HANDLER_NOT_FOUND', async () => {
    const error = errorOf(await run('scheduled-module', batch(text('x'))));
    assert.equal(error.code, 'HANDLER_NOT_FOUND');
    assert.match(error.message, /no queue handler/);
  });
});
