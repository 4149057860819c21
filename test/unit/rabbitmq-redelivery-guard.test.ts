import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RedeliveryGuard } from '../../adapters/broker-rabbitmq/redelivery-guard.ts';
import type { InvocationDelivery } from '../../core/broker.ts';
import { silentLogger } from '../../core/logger.ts';
import type { InvocationMessage } from '../../core/messages.ts';
import { invocation } from '../support/fixtures.ts';

/** A delivery that records how it was settled. */
function delivery(message: InvocationMessage, attempt = 1) {
  const settled: string[] = [];
  const d: InvocationDelivery = {
    message,
    attempt,
    reply: async () => undefined,
    ack: () => void settled.push('ack'),
    requeue: () => void settled.push('requeue'),
    retry: async () => void settled.push('retry'),
    deadLetter: async () => void settled.push('dead'),
  };
  return { d, settled };
}

/** A handler whose runs the test finishes by hand, one settle function per run. */
function runs() {
  const started: {
    attempt: number;
    settle: (how: 'ack' | 'requeue' | 'retry') => Promise<void>;
  }[] = [];
  const handler = async (d: InvocationDelivery): Promise<void> => {
    await new Promise<void>((resolve) => {
      started.push({
        attempt: d.attempt,
        settle: async (how) => {
          if (how === 'retry') await d.retry(100);
          else d[how]();
          resolve();
        },
      });
    });
  };
  return { started, handler };
}

describe('RedeliveryGuard', () => {
  test('a redelivery while the copy runs joins the run and is acked with it', async () => {
    const guard = new RedeliveryGuard({ logger: silentLogger() });
    const { started, handler } = runs();
    const wrapped = guard.wrap(handler);
    const message = invocation('slow', null);
    const first = delivery(message, 1);
    const again = delivery(message, 2);
    const running = wrapped(first.d);
    await wrapped(again.d); // returns at once: nothing to run
    assert.equal(started.length, 1);
    assert.deepEqual(again.settled, []);
    await started[0]?.settle('ack');
    await running;
    assert.deepEqual(first.settled, ['ack']);
    assert.deepEqual(again.settled, ['ack']);
    assert.equal(guard.running, 0);
  });

  test('a redelivery after the copy settled here is acked without running', async () => {
    const guard = new RedeliveryGuard({ logger: silentLogger() });
    const { started, handler } = runs();
    const wrapped = guard.wrap(handler);
    const message = invocation('slow', null);
    const running = wrapped(delivery(message).d);
    await started[0]?.settle('retry');
    await running;
    const late = delivery(message, 2);
    await wrapped(late.d);
    assert.equal(started.length, 1);
    assert.deepEqual(late.settled, ['ack']);
    // The retry's own copy is another copy: it runs.
    const retried = delivery({ ...message, priorAttempts: 1 }, 2);
    void wrapped(retried.d);
    assert.equal(started.length, 2);
    assert.equal(started[1]?.attempt, 2);
    // So is a redriven copy, with or without prior attempts, and each redrive is its own.
    const redrive = { fromAttempt: 3, at: 1_000 };
    void wrapped(delivery({ ...message, redrive }, 3).d);
    void wrapped(delivery({ ...message, priorAttempts: 2, redrive }, 3).d);
    void wrapped(delivery({ ...message, redrive: { ...redrive, at: 2_000 } }, 3).d);
    assert.equal(started.length, 5);
  });

  test('a run that requeues hands its followers back too, and the next delivery runs', async () => {
    const guard = new RedeliveryGuard({ logger: silentLogger() });
    const { started, handler } = runs();
    const wrapped = guard.wrap(handler);
    const message = invocation('flaky', null);
    const running = wrapped(delivery(message).d);
    const joined = delivery(message, 2);
    await wrapped(joined.d);
    await started[0]?.settle('requeue');
    await running;
    assert.deepEqual(joined.settled, ['requeue']);
    void wrapped(delivery(message, 3).d);
    assert.equal(started.length, 2);
  });

  test('a handler that throws releases the copy and its followers go back', async () => {
    const guard = new RedeliveryGuard({ logger: silentLogger() });
    let release: (error: Error) => void = () => undefined;
    const wrapped = guard.wrap(() => new Promise<void>((_, reject) => (release = reject)));
    const message = invocation('broken', null);
    const running = wrapped(delivery(message).d);
    const joined = delivery(message, 2);
    await wrapped(joined.d);
    release(new Error('boom'));
    await assert.rejects(running, /boom/);
    assert.deepEqual(joined.settled, ['requeue']);
    assert.equal(guard.running, 0);
  });

  test('a handler that returned without settling gets the redelivery again', async () => {
    const guard = new RedeliveryGuard({ logger: silentLogger() });
    const seen: number[] = [];
    const wrapped = guard.wrap(async (d) => void seen.push(d.attempt));
    const message = invocation('handed-off', null);
    await wrapped(delivery(message, 1).d);
    await wrapped(delivery(message, 2).d);
    assert.deepEqual(seen, [1, 2]);
  });

  test('settled copies are forgotten after rememberMs and beyond the limit', async () => {
    let now = 0;
    const guard = new RedeliveryGuard({
      logger: silentLogger(),
      rememberMs: 1000,
      limit: 2,
      now: () => now,
    });
    const ran: string[] = [];
    const wrapped = guard.wrap(async (d) => {
      ran.push(d.message.id);
      d.ack();
    });
    const [a, b, c] = [invocation('f', 'a'), invocation('f', 'b'), invocation('f', 'c')];
    for (const m of [a, b, c]) await wrapped(delivery(m).d);
    await wrapped(delivery(a, 2).d); // a was the oldest of three with a limit of two
    await wrapped(delivery(c, 2).d); // c is remembered
    assert.deepEqual(ran, [a.id, b.id, c.id, a.id]);
    now = 1001;
    await wrapped(delivery(c, 3).d);
    assert.deepEqual(ran, [a.id, b.id, c.id, a.id, c.id]);
  });

  test('a full generation of settled copies forgets the older one at once', async () => {
    const guard = new RedeliveryGuard({ logger: silentLogger(), limit: 4 });
    const ran: string[] = [];
    const wrapped = guard.wrap(async (d) => {
      ran.push(d.message.id);
      d.ack();
    });
    const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((name) => invocation('f', name));
    const copies = [a, b, c, d, e].filter((m) => m !== undefined);
    for (const m of copies) await wrapped(delivery(m).d);
    // Two per generation: {a, b} went when {e} began; {c, d} is the older one now.
    for (const m of [...copies].reverse()) await wrapped(delivery(m, 2).d);
    assert.deepEqual(
      ran,
      [...copies, b, a].map((m) => m?.id),
    );
  });
});
