/**
 * A node's queue-trigger consumers, through the runtime agent, on a real (in-memory) embedded
 * broker with a scripted executor: batches bounded by batchSize, a crashed run retries every
 * message and dead-letters it after maxRetries, and a message redelivered past its attempts
 * (its node died each time) is dead-lettered without running.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { QueueDelivery } from '../../core/broker.ts';
import type { ExecutionOutcome, Executor } from '../../core/executor.ts';
import type { QueueTrigger } from '../../core/manifest-queue.ts';
import type { FunctionSpec, InvocationPayload, QueueBatchEvent } from '../../core/messages.ts';
import { spec, uniqueName } from '../support/fixtures.ts';
import { agentOnEmbeddedBroker } from '../support/embedded-agent.ts';
import { Inbox } from '../support/inbox.ts';

/** Acks every batch, or crashes every run; records the batches it got. */
class BatchExecutor implements Executor {
  readonly batches: QueueBatchEvent[] = [];
  crash = false;
  async invoke(_fn: FunctionSpec, payload: InvocationPayload): Promise<ExecutionOutcome> {
    const event = (payload as { data: QueueBatchEvent }).data;
    this.batches.push(event);
    const base = { coldStart: false, durationMs: 1, logs: [] };
    if (this.crash) {
      return { ...base, ok: false, error: { code: 'FUNCTION_CRASHED', message: 'isolate died' } };
    }
    const decisions = event.messages.map(() => null);
    return { ...base, ok: true, value: { type: 'queue-outcome', decisions } };
  }
  async evict(): Promise<void> {}
  stats() {
    return { instances: 0, coldStarts: 0, invocations: this.batches.length };
  }
  async dispose(): Promise<void> {}
}

function trigger(overrides: Partial<QueueTrigger> = {}): QueueTrigger {
  return {
    queue: uniqueName('q'),
    batchSize: 2,
    maxWaitMs: 20,
    maxRetries: 1,
    retryDelaySeconds: 0,
    concurrency: 1,
    ...overrides,
  };
}

async function setup(t: TestContext, queue: QueueTrigger) {
  const executor = new BatchExecutor();
  const fn = spec(uniqueName(), { queue });
  const { broker, agent, results, letters } = await agentOnEmbeddedBroker(t, fn, executor);
  const queues = broker.queues;
  const publish = (text: string) => queues.publish(queue.queue, { body: Buffer.from(text) });
  return { broker, queues, agent, executor, results, letters, publish };
}

test('deliveries run in batches of at most batchSize, each recorded as an invocation', async (t) => {
  const { agent, executor, results, publish } = await setup(t, trigger({ batchSize: 2 }));
  await agent.start();
  for (const n of [1, 2, 3, 4, 5]) await publish(String(n));
  let handled = 0;
  while (handled < 5) {
    const result = await results.next(10_000, 'a batch result');
    assert.equal(result.status, 'succeeded');
    const summary = result.value as { messages: number; acked: number };
    assert.equal(summary.acked, summary.messages);
    handled += summary.messages;
  }
  assert.ok(executor.batches.every((b) => b.messages.length <= 2));
  const bodies = executor.batches.flatMap((b) => b.messages.map((m) => m.body));
  assert.deepEqual(
    bodies.map((b) => Buffer.from((b as { base64: string }).base64, 'base64').toString()).sort(),
    ['1', '2', '3', '4', '5'],
  );
});

test('a crashed run retries every message, then dead-letters it after maxRetries', async (t) => {
  const { agent, executor, results, letters, publish } = await setup(
    t,
    trigger({ batchSize: 10, maxWaitMs: 50, maxRetries: 1 }),
  );
  executor.crash = true;
  await agent.start();
  const id = await publish('doomed');
  const letter = await letters.next(10_000, 'the dead letter');
  assert.equal(letter.error.code, 'FUNCTION_CRASHED');
  assert.equal(letter.attempt, 2, 'the first attempt and one retry');
  const event = (letter.message.payload as { data: QueueBatchEvent }).data;
  assert.equal(event.messages[0]?.id, id, 'the letter carries the message, for a redrive');
  assert.deepEqual(
    executor.batches.map((b) => b.messages.map((m) => m.attempts)),
    [[1], [2]],
  );
  assert.equal((await results.next()).status, 'failed');
});

test('a message redelivered past its attempts is dead-lettered without running', async (t) => {
  const queue = trigger({ maxRetries: 1 });
  const { queues, agent, executor, letters, publish } = await setup(t, queue);
  await queues.declare({ fn: 'x', queue: queue.queue });
  // Two deliveries whose node "died": requeued without a result, as a crash would leave them.
  const deliveries = new Inbox<QueueDelivery>();
  const raw = await queues.consume({ fn: 'x', queue: queue.queue }, 1, (d) => deliveries.push(d));
  await publish('poison');
  (await deliveries.next()).requeue();
  (await deliveries.next()).requeue();
  await raw.cancel();
  await agent.start();
  const letter = await letters.next(10_000, 'the refused delivery');
  assert.equal(letter.error.code, 'DELIVERY_LIMIT_EXCEEDED');
  assert.equal(letter.attempt, 3);
  assert.equal(executor.batches.length, 0, 'never run');
});
