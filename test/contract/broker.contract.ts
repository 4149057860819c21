/**
 * The Broker contract: one set of cases every adapter must pass (BullMQ's adapter-conformance
 * style). Each adapter's test file calls {@link brokerContract} with a factory.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Broker, InvocationDelivery } from '../../core/broker.ts';
import type { ControlEvent, DeadLetter, ResultEvent } from '../../core/messages.ts';
import { Inbox, waitFor } from '../support/inbox.ts';
import { invocation, resultFor, spec, uniqueName } from '../support/fixtures.ts';
import { resultBurstCases } from './broker-results.contract.ts';

export interface BrokerFixture {
  /** A new adapter instance on the same underlying broker (same server, or same SQLite file). */
  create(): Promise<Broker>;
  /** Removes everything the fixture made. */
  cleanup(): Promise<void>;
}

export function brokerContract(adapter: string, makeFixture: () => Promise<BrokerFixture>): void {
  describe(`Broker contract: ${adapter}`, async () => {
    const fixture = await makeFixture();
    const open: Broker[] = [];
    const create = async (): Promise<Broker> => {
      const broker = await fixture.create();
      await broker.start();
      open.push(broker);
      return broker;
    };
    after(async () => {
      for (const broker of open) await broker.close().catch(() => undefined);
      await fixture.cleanup();
    });

    test('an enqueued invocation reaches the consumer of its function, once', async () => {
      const broker = await create();
      const fn = uniqueName();
      await broker.declareFunction(fn);
      const inbox = new Inbox<InvocationDelivery>();
      await broker.consume(fn, 4, async (d) => inbox.push(d));
      const first = invocation(fn, { n: 1 });
      await broker.enqueue(first);
      const got = await inbox.next();
      assert.deepEqual(got.message, first);
      assert.equal(got.attempt, 1);
      got.ack();
      const second = invocation(fn, { n: 2 });
      await broker.enqueue(second);
      assert.equal(
        (await inbox.next()).message.id,
        second.id,
        'the acked message must not come back',
      );
    });

    test('messages of one function never reach the consumer of another', async () => {
      const broker = await create();
      const a = uniqueName();
      const b = uniqueName();
      await broker.declareFunction(a);
      await broker.declareFunction(b);
      const inboxA = new Inbox<InvocationDelivery>();
      const inboxB = new Inbox<InvocationDelivery>();
      await broker.consume(a, 4, async (d) => inboxA.push(d));
      await broker.consume(b, 4, async (d) => inboxB.push(d));
      await broker.enqueue(invocation(b, 'for b'));
      await broker.enqueue(invocation(a, 'for a'));
      const gotA = await inboxA.next();
      const gotB = await inboxB.next();
      assert.equal(gotA.message.fn.name, a);
      assert.equal(gotB.message.fn.name, b);
      gotA.ack();
      gotB.ack();
      assert.equal(inboxA.size + inboxB.size, 0);
    });

    test('requeue delivers the message again with the next attempt number', async () => {
      const broker = await create();
      const fn = uniqueName();
      await broker.declareFunction(fn);
      const inbox = new Inbox<InvocationDelivery>();
      await broker.consume(fn, 1, async (d) => inbox.push(d));
      const msg = invocation(fn, 'again');
      await broker.enqueue(msg);
      const first = await inbox.next();
      assert.equal(first.attempt, 1);
      first.requeue();
      const second = await inbox.next();
      assert.equal(second.message.id, msg.id);
      assert.equal(second.attempt, 2);
      second.ack();
    });

    test('retry() delivers the message again no earlier than its delay, as the next attempt', async () => {
      const broker = await create();
      const fn = uniqueName();
      await broker.declareFunction(fn);
      const inbox = new Inbox<InvocationDelivery>();
      await broker.consume(fn, 2, async (d) => inbox.push(d));
      const msg = invocation(fn, { retry: 'me' });
      await broker.enqueue(msg);
      const first = await inbox.next();
      assert.equal(first.attempt, 1);
      const retriedAt = Date.now();
      await first.retry(300);
      const second = await inbox.next(10_000, 'the delayed retry');
      const waited = Date.now() - retriedAt;
      assert.equal(second.message.id, msg.id);
      assert.deepEqual(second.message.payload, msg.payload);
      assert.equal(second.attempt, 2);
      assert.ok(waited >= 300, `the retry came back after ${waited} ms, before its 300 ms delay`);
      await second.retry(0);
      const third = await inbox.next(10_000, 'the immediate retry');
      assert.equal(third.attempt, 3);
      third.ack();
      const marker = invocation(fn, 'marker');
      await broker.enqueue(marker);
      assert.equal((await inbox.next()).message.id, marker.id, 'the retried message is settled');
    });

    test('a copy published with priorAttempts continues the attempt count (a redrive)', async () => {
      const broker = await create();
      const fn = uniqueName();
      await broker.declareFunction(fn);
      const inbox = new Inbox<InvocationDelivery>();
      await broker.consume(fn, 1, async (d) => inbox.push(d));
      const redriven = invocation(fn, 'again', { priorAttempts: 3 });
      await broker.enqueue(redriven);
      const got = await inbox.next();
      assert.equal(got.attempt, 4);
      got.requeue();
      assert.equal((await inbox.next()).attempt, 5);
    });

    test('deadLetter() hands the message to the dead letters, redelivered until handled', async () => {
      const broker = await create();
      const fn = uniqueName();
      await broker.declareFunction(fn);
      const letters = new Inbox<DeadLetter>();
      let failOnce = true;
      const sub = await broker.consumeDeadLetters(async (letter) => {
        if (letter.message.fn.name !== fn) return; // another test's, on the shared queue
        if (failOnce) {
          failOnce = false;
          throw new Error('store hiccup');
        }
        letters.push(letter);
      });
      const inbox = new Inbox<InvocationDelivery>();
      await broker.consume(fn, 1, async (d) => inbox.push(d));
      const msg = invocation(fn, { doomed: true });
      await broker.enqueue(msg);
      const first = await inbox.next();
      await first.retry(0);
      const last = await inbox.next();
      const error = { code: 'FUNCTION_ERROR', message: 'boom' } as const;
      await last.deadLetter({ error, node: 'node-1', ran: true });
      const letter = await letters.next(10_000, 'the dead letter');
      assert.equal(failOnce, false, 'the first handling failed, and the letter came back');
      assert.equal(letter.message.id, msg.id);
      assert.deepEqual(letter.message.payload, msg.payload);
      assert.equal(letter.attempt, 2);
      assert.deepEqual(letter.error, error);
      assert.equal(letter.node, 'node-1');
      assert.equal(letter.ran, true);
      assert.equal(typeof letter.deadAt, 'number');
      const marker = invocation(fn, 'marker');
      await broker.enqueue(marker);
      assert.equal((await inbox.next()).message.id, marker.id, 'the dead message is gone');
      await sub.cancel();
    });

    test('prefetch bounds the unsettled deliveries of a consumer', async () => {
      const broker = await create();
      const fn = uniqueName();
      await broker.declareFunction(fn);
      const inbox = new Inbox<InvocationDelivery>();
      await broker.consume(fn, 2, async (d) => inbox.push(d));
      const sent = Array.from({ length: 5 }, (_, i) => invocation(fn, i));
      for (const m of sent) await broker.enqueue(m);
      const a = await inbox.next();
      const b = await inbox.next();
      // A marker that proves the broker had the chance to over-deliver: once a is acked, exactly
      // one more arrives, and the remaining ones only as deliveries are settled.
      assert.equal(inbox.size, 0, 'no third delivery while two are unsettled');
      a.ack();
      const c = await inbox.next();
      assert.equal(inbox.size, 0, 'still at most two unsettled');
      b.ack();
      c.ack();
      const d = await inbox.next();
      const e = await inbox.next();
      d.ack();
      e.ack();
      const ids = [a, b, c, d, e].map((x) => x.message.id).sort();
      assert.deepEqual(ids, sent.map((m) => m.id).sort());
    });

    test('queueDepth counts the invocations waiting, not those a consumer holds', async () => {
      const broker = await create();
      const fn = uniqueName();
      assert.equal(await broker.queueDepth(fn), 0, 'a function without a queue has none waiting');
      await broker.declareFunction(fn);
      assert.equal(await broker.queueDepth(fn), 0);
      for (let i = 0; i < 3; i++) await broker.enqueue(invocation(fn, i));
      // Confirmed enqueues are counted at once; polling only guards the broker's own bookkeeping.
      await waitFor(async () => (await broker.queueDepth(fn)) === 3, { what: 'depth 3' });
      const inbox = new Inbox<InvocationDelivery>();
      await broker.consume(fn, 1, async (d) => inbox.push(d));
      const held = await inbox.next();
      await waitFor(async () => (await broker.queueDepth(fn)) === 2, { what: 'depth 2' });
      held.ack();
      for (let i = 0; i < 2; i++) (await inbox.next()).ack();
      await waitFor(async () => (await broker.queueDepth(fn)) === 0, { what: 'depth 0' });
    });

    test('an unsettled message survives its consumer closing and is redelivered as attempt 2', async () => {
      const fn = uniqueName();
      const first = await create();
      await first.declareFunction(fn);
      const inbox = new Inbox<InvocationDelivery>();
      await first.consume(fn, 1, async (d) => inbox.push(d));
      const msg = invocation(fn, 'crash me');
      await first.enqueue(msg);
      assert.equal((await inbox.next()).attempt, 1);
      await first.close(); // never acked: as if the node died

      const second = await create();
      await second.declareFunction(fn);
      const inbox2 = new Inbox<InvocationDelivery>();
      await second.consume(fn, 1, async (d) => inbox2.push(d));
      const again = await inbox2.next(10_000, 'redelivery');
      assert.equal(again.message.id, msg.id);
      assert.equal(again.attempt, 2);
      again.ack();
    });

    test('an enqueued message is durable: a new instance receives it', async () => {
      const fn = uniqueName();
      const publisher = await create();
      await publisher.declareFunction(fn);
      const msg = invocation(fn, { durable: true });
      await publisher.enqueue(msg);
      await publisher.close();

      const consumer = await create();
      await consumer.declareFunction(fn);
      const inbox = new Inbox<InvocationDelivery>();
      await consumer.consume(fn, 1, async (d) => inbox.push(d));
      const got = await inbox.next();
      assert.deepEqual(got.message, msg);
      got.ack();
    });

    test('call() resolves with the reply sent by the consumer', async () => {
      const broker = await create();
      const fn = uniqueName();
      await broker.declareFunction(fn);
      await broker.consume(fn, 4, async (d) => {
        const data = d.message.payload.kind === 'event' ? d.message.payload.data : undefined;
        await d.reply(resultFor(d.message, { echo: data }, d.attempt));
        d.ack();
      });
      const results = await Promise.all(
        [1, 2, 3].map((n) =>
          broker.call(invocation(fn, n, { mode: 'sync', replyBy: Date.now() + 5000 })),
        ),
      );
      assert.deepEqual(
        results.map((r) => r.value),
        [{ echo: 1 }, { echo: 2 }, { echo: 3 }],
      );
    });

    test('call() times out at replyBy, and the expired message is never run', async () => {
      const broker = await create();
      const fn = uniqueName();
      await broker.declareFunction(fn);
      const expired = invocation(fn, 'too late', { mode: 'sync', replyBy: Date.now() + 200 });
      await assert.rejects(broker.call(expired), { code: 'INVOCATION_TIMEOUT' });

      const inbox = new Inbox<InvocationDelivery>();
      await broker.consume(fn, 4, async (d) => inbox.push(d));
      const marker = invocation(fn, 'marker');
      await broker.enqueue(marker);
      const got = await inbox.next();
      got.ack();
      assert.equal(got.message.id, marker.id, 'the expired sync message must have been dropped');
    });

    test('results are redelivered until the handler succeeds', async () => {
      const broker = await create();
      const fn = uniqueName();
      const seen: ResultEvent[] = [];
      const done = new Inbox<ResultEvent>();
      let failOnce = true;
      const sub = await broker.consumeResults(async (event) => {
        if (event.type !== 'finished' || event.result.fn !== fn) return;
        seen.push(event);
        if (failOnce) {
          failOnce = false;
          throw new Error('store hiccup');
        }
        done.push(event);
      });
      const msg = invocation(fn, 'x');
      await broker.publishResult({ type: 'finished', result: resultFor(msg, 42) });
      const event = await done.next();
      assert.equal(event.type === 'finished' && event.result.value, 42);
      assert.equal(seen.length, 2, 'first delivery failed, second succeeded');
      await sub.cancel();
    });

    resultBurstCases(create);

    test('control events reach every subscriber', async () => {
      const broker = await create();
      const one = new Inbox<ControlEvent>();
      const two = new Inbox<ControlEvent>();
      await broker.onControl(one.push);
      await broker.onControl(two.push);
      const name = uniqueName();
      await broker.announce({ type: 'deployed', fn: spec(name) });
      for (const inbox of [one, two]) {
        for (;;) {
          const event = await inbox.next();
          if (event.type === 'deployed' && event.fn.name === name) break;
        }
      }
    });

    test('deleteFunction drops what the queue still holds', async () => {
      const broker = await create();
      const fn = uniqueName();
      await broker.declareFunction(fn);
      await broker.enqueue(invocation(fn, 'doomed'));
      await broker.deleteFunction(fn);
      await broker.declareFunction(fn);
      const inbox = new Inbox<InvocationDelivery>();
      await broker.consume(fn, 4, async (d) => inbox.push(d));
      const marker = invocation(fn, 'marker');
      await broker.enqueue(marker);
      const got = await inbox.next();
      got.ack();
      assert.equal(got.message.id, marker.id);
    });

    test('after close(), enqueue rejects with BROKER_UNAVAILABLE', async () => {
      const broker = await create();
      const fn = uniqueName();
      await broker.declareFunction(fn);
      await broker.close();
      assert.equal(broker.state, 'closed');
      await assert.rejects(broker.enqueue(invocation(fn, 'x')), { code: 'BROKER_UNAVAILABLE' });
    });
  });
}
