/**
 * The runtime agent's delivery decisions, on a real (in-memory) embedded broker with a scripted
 * executor: retry then dead-letter, refuse poison and expired deliveries, skip cancelled ones.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { ErrorData } from '../../core/errors.ts';
import type { ExecutionOutcome, Executor, InvocationContext } from '../../core/executor.ts';
import type { FunctionSpec } from '../../core/messages.ts';
import { LATE_REPLY_MARGIN_MS } from '../../runtime/run-invocation.ts';
import { invocation, spec, uniqueName } from '../support/fixtures.ts';
import { agentOnEmbeddedBroker } from '../support/embedded-agent.ts';

const boom: ErrorData = { code: 'FUNCTION_ERROR', message: 'boom' };

/** Fails every attempt up to `failUntil`, succeeds after; records what it ran. */
class ScriptedExecutor implements Executor {
  readonly ran: InvocationContext[] = [];
  failUntil = 0;
  async invoke(_fn: FunctionSpec, _payload: unknown, ctx: InvocationContext) {
    this.ran.push(ctx);
    const base = { coldStart: false, durationMs: 1, logs: [] };
    if (ctx.attempt <= this.failUntil)
      return { ...base, ok: false, error: boom } as ExecutionOutcome;
    return { ...base, ok: true, value: ctx.attempt } as ExecutionOutcome;
  }
  async evict(): Promise<void> {}
  stats() {
    return { instances: 0, coldStarts: 0, invocations: this.ran.length };
  }
  async dispose(): Promise<void> {}
}

async function setup(t: TestContext, fn: FunctionSpec) {
  const executor = new ScriptedExecutor();
  const { broker, agent, results, letters } = await agentOnEmbeddedBroker(t, fn, executor);
  await agent.start();
  return { broker, executor, results, letters };
}

const fast = { maxAttempts: 3, backoff: { initialMs: 100, maxMs: 100 } };

test('a failing async invocation is retried, then dead-lettered after its last attempt', async (t) => {
  const fn = spec(uniqueName(), { retries: fast });
  const { broker, executor, results, letters } = await setup(t, fn);
  executor.failUntil = 99;
  const message = invocation(fn.name, {}, { fn });
  await broker.enqueue(message);
  const next = [];
  for (let i = 0; i < 3; i++) next.push((await results.next()).next);
  assert.deepEqual(
    next.map((n) => n?.action),
    ['retry', 'retry', 'dead'],
  );
  const letter = await letters.next();
  assert.equal(letter.message.id, message.id);
  assert.equal(letter.attempt, 3);
  assert.equal(letter.ran, true);
  assert.deepEqual(letter.error, boom);
  assert.deepEqual(
    executor.ran.map((c) => c.attempt),
    [1, 2, 3],
  );
});

test('a sync failure is final: no retry, no dead letter', async (t) => {
  const fn = spec(uniqueName(), { retries: fast });
  const { broker, executor } = await setup(t, fn);
  executor.failUntil = 99;
  const reply = await broker.call(
    invocation(fn.name, {}, { fn, mode: 'sync', replyBy: Date.now() + 5000 }),
  );
  assert.equal(reply.status, 'failed');
  assert.equal(reply.next, undefined);
  assert.equal(executor.ran.length, 1);
});

test('a sync result goes on the results queue only when its reply may come too late', async (t) => {
  const fn = spec(uniqueName(), { retries: fast });
  const { broker, results } = await setup(t, fn);
  // Answered well before the caller's deadline: the caller's gateway records it from the reply.
  const inTime = invocation(fn.name, {}, { fn, mode: 'sync', replyBy: Date.now() + 60_000 });
  assert.equal((await broker.call(inTime)).status, 'succeeded');
  // Results leave in order: had the sync result been published, it would come before this one.
  const after = invocation(fn.name, {}, { fn });
  await broker.enqueue(after);
  assert.equal((await results.next()).id, after.id, 'the sync result was not published');

  // Within the margin of the deadline the caller may have given up: published as well.
  const replyBy = Date.now() + LATE_REPLY_MARGIN_MS / 2;
  const late = invocation(fn.name, {}, { fn, mode: 'sync', replyBy });
  assert.equal((await broker.call(late)).status, 'succeeded');
  assert.equal((await results.next()).id, late.id);
});

test('a sync result whose reply could not be sent goes on the results queue', async (t) => {
  const fn = spec(uniqueName(), { retries: fast });
  const executor = new ScriptedExecutor();
  const { broker, agent, results } = await agentOnEmbeddedBroker(t, fn, executor);
  // The reply fails as it does when the broker connection is gone.
  const consume = broker.consume.bind(broker);
  broker.consume = (name, prefetch, handler) =>
    consume(name, prefetch, (delivery) =>
      handler({ ...delivery, reply: () => Promise.reject(new Error('connection closed')) }),
    );
  await agent.start();
  const message = invocation(fn.name, {}, { fn, mode: 'sync', replyBy: Date.now() + 60_000 });
  const call = broker.call(message);
  call.catch(() => undefined); // nobody answers it: it fails when the broker closes
  assert.equal((await results.next()).id, message.id);
});

test('poison and expired deliveries are dead-lettered without running', async (t) => {
  const fn = spec(uniqueName(), { retries: fast, maxEventAgeMs: 60_000 });
  const { broker, executor, letters } = await setup(t, fn);
  // A copy whose node died on all three attempts comes back as attempt 4.
  await broker.enqueue(invocation(fn.name, 'poison', { fn, priorAttempts: 3 }));
  const poison = await letters.next();
  assert.equal(poison.error.code, 'DELIVERY_LIMIT_EXCEEDED');
  assert.equal(poison.attempt, 4);
  assert.equal(poison.ran, false);
  await broker.enqueue(invocation(fn.name, 'stale', { fn, acceptedAt: Date.now() - 61_000 }));
  const stale = await letters.next();
  assert.equal(stale.error.code, 'EVENT_EXPIRED');
  assert.equal(executor.ran.length, 0);
});

test('an invocation announced as cancelled is skipped when delivered', async (t) => {
  const fn = spec(uniqueName(), { retries: fast });
  const { broker, executor, results } = await setup(t, fn);
  const victim = invocation(fn.name, 'victim', { fn });
  await broker.announce({ type: 'cancelled', fn: fn.name, id: victim.id });
  await broker.enqueue(victim);
  const marker = invocation(fn.name, 'marker', { fn });
  await broker.enqueue(marker);
  assert.equal((await results.next()).id, marker.id);
  assert.deepEqual(
    executor.ran.map((c) => c.id),
    [marker.id],
  );
});
