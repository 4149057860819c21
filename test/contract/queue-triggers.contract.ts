/**
 * The queue-trigger part of the Broker contract (`broker.queues`): the same cases against every
 * adapter that has it. queue-triggers-embedded.test.ts and queue-triggers-rabbitmq.test.ts run it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Broker, QueueDelivery, QueueTriggers, Subscription } from '../../core/broker.ts';
import type { DeadLetter } from '../../core/messages.ts';
import { invocation, uniqueName } from '../support/fixtures.ts';
import { Inbox } from '../support/inbox.ts';

export function queueTriggersContract(adapter: string, create: () => Promise<Broker>): void {
  describe(`Broker contract, queue triggers: ${adapter}`, () => {
    let broker: Broker;
    let queues: QueueTriggers;
    const subscriptions: Subscription[] = [];
    const text = (d: QueueDelivery) => Buffer.from(d.message.body).toString('utf8');

    const consumer = async (fn: string) => {
      const queue = uniqueName('q');
      const binding = { fn, queue };
      await queues.declare(binding);
      const inbox = new Inbox<QueueDelivery>();
      subscriptions.push(await queues.consume(binding, 4, (d) => inbox.push(d)));
      return { queue, inbox };
    };

    before(async () => {
      broker = await create();
      await broker.start();
      assert.ok(broker.queues, `${adapter} has queue triggers`);
      queues = broker.queues;
    });
    after(async () => {
      for (const subscription of subscriptions) await subscription.cancel();
      await broker?.close();
    });

    test('a published message arrives with its id, content type, headers and attempts 1', async () => {
      const { queue, inbox } = await consumer(uniqueName());
      const id = await queues.publish(queue, {
        body: Buffer.from('{"a":1}'),
        contentType: 'application/json',
        headers: { tenant: 'acme' },
      });
      const got = await inbox.next();
      assert.equal(got.message.id, id);
      assert.equal(got.message.contentType, 'application/json');
      assert.deepEqual(got.message.headers, { tenant: 'acme' });
      assert.equal(got.message.attempts, 1);
      assert.equal(got.message.hops, 0, 'not sent by a function');
      assert.equal(typeof got.message.timestamp, 'number');
      assert.equal(text(got), '{"a":1}');
      got.ack();
      await queues.publish(queue, { body: Buffer.from('next') });
      assert.equal(text(await inbox.next()), 'next', 'the acked message does not come back');
    });

    test('retry() brings the message back as the next attempt, keeping id, type and headers', async () => {
      const { queue, inbox } = await consumer(uniqueName());
      const id = await queues.publish(queue, {
        body: Buffer.from('again'),
        contentType: 'text/plain',
        headers: { k: 'v' },
        hops: 3,
      });
      const first = await inbox.next();
      assert.equal(first.message.hops, 3);
      await first.retry(0);
      const second = await inbox.next();
      assert.equal(second.message.attempts, 2);
      assert.equal(second.message.id, id);
      assert.equal(second.message.contentType, 'text/plain');
      assert.deepEqual(second.message.headers, { k: 'v' });
      assert.equal(second.message.hops, 3, 'a retry is no hop');
      assert.equal(second.message.timestamp, first.message.timestamp);
      assert.equal(text(second), 'again');
      await second.retry(200);
      const third = await inbox.next(10_000, 'the delayed retry');
      assert.equal(third.message.attempts, 3);
      third.ack();
    });

    test('requeue() redelivers as the next attempt', async () => {
      const { queue, inbox } = await consumer(uniqueName());
      await queues.publish(queue, { body: Buffer.from('x') });
      (await inbox.next()).requeue();
      const again = await inbox.next();
      assert.equal(again.message.attempts, 2);
      again.ack();
    });

    test('deadLetter() hands the letter to the dead letters and removes the message', async () => {
      const fn = uniqueName();
      const { queue, inbox } = await consumer(fn);
      const letters = new Inbox<DeadLetter>();
      const sub = await broker.consumeDeadLetters(async (letter) => {
        if (letter.message.fn.name === fn) letters.push(letter);
      });
      subscriptions.push(sub);
      await queues.publish(queue, { body: Buffer.from('doomed') });
      const got = await inbox.next();
      const message = invocation(fn, 'the message as an event');
      const error = { code: 'FUNCTION_ERROR', message: 'always fails' } as const;
      await got.deadLetter({ message, attempt: 1, error, node: 'n', deadAt: 1, ran: false });
      const letter = await letters.next(10_000, 'the dead letter');
      assert.equal(letter.message.id, message.id);
      assert.deepEqual(letter.error, error);
      await queues.publish(queue, { body: Buffer.from('marker') });
      assert.equal(text(await inbox.next()), 'marker', 'the dead message is gone');
    });

    test('publishing to a queue nobody declared fails with QUEUE_NOT_FOUND', async () => {
      await assert.rejects(queues.publish(uniqueName('nobody'), { body: Buffer.from('x') }), {
        code: 'QUEUE_NOT_FOUND',
      });
    });
  });
}
