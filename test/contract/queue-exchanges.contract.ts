/**
 * Publishing to exchanges (`broker.queues.publishToExchange`): the same cases against every
 * adapter, so RabbitMQ's own routing is the reference the embedded broker is held to. The topic
 * case is the example of RabbitMQ's topic tutorial (bindings `*.orange.*`, `*.*.rabbit`, `lazy.#`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Broker, QueueDelivery, QueueTriggers, Subscription } from '../../core/broker.ts';
import { uniqueName } from '../support/fixtures.ts';
import { Inbox } from '../support/inbox.ts';

export function queueExchangesContract(adapter: string, create: () => Promise<Broker>): void {
  describe(`Broker contract, exchanges: ${adapter}`, () => {
    let broker: Broker;
    let queues: QueueTriggers;
    const subscriptions: Subscription[] = [];
    const text = (d: QueueDelivery) => Buffer.from(d.message.body).toString('utf8');

    /** A queue bound to `exchange` by `routingKey`, consumed into an inbox. */
    const bound = async (exchange: string, routingKey: string) => {
      const queue = uniqueName('xq');
      const binding = { fn: uniqueName(), queue, exchange, routingKey };
      await queues.declare(binding);
      const inbox = new Inbox<QueueDelivery>();
      subscriptions.push(await queues.consume(binding, 20, (d) => inbox.push(d)));
      return inbox;
    };

    /** The bodies an inbox received up to and including `marker`, each acked. */
    const receivedUntil = async (inbox: Inbox<QueueDelivery>, marker: string) => {
      const bodies: string[] = [];
      for (;;) {
        const delivery = await inbox.next(10_000, `the marker ${marker}`);
        delivery.ack();
        if (text(delivery) === marker) return bodies;
        bodies.push(text(delivery));
      }
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

    test('a topic exchange routes as in RabbitMQ: * one word, # zero or more, one copy per queue', async () => {
      const exchange = uniqueName('topic');
      const q1 = await bound(exchange, '*.orange.*');
      const q2 = await bound(exchange, '*.*.rabbit');
      const q3 = await bound(exchange, 'lazy.#');
      const keys = [
        'quick.orange.rabbit',
        'lazy.orange.elephant',
        'quick.orange.fox',
        'lazy.brown.fox',
        'lazy.pink.rabbit',
        'lazy',
        'lazy.orange.new.rabbit',
      ];
      const ids = new Map<string, string>();
      for (const key of keys) {
        ids.set(key, await queues.publishToExchange(exchange, key, { body: Buffer.from(key) }));
      }
      for (const key of ['quick.brown.fox', 'orange', 'quick.orange.new.rabbit', '']) {
        await assert.rejects(
          queues.publishToExchange(exchange, key, { body: Buffer.from(key) }),
          { code: 'QUEUE_NOT_FOUND' },
          `"${key}" matches no binding`,
        );
      }
      const marker = 'lazy.orange.rabbit';
      await queues.publishToExchange(exchange, marker, { body: Buffer.from(marker) });
      assert.deepEqual(await receivedUntil(q1, marker), [
        'quick.orange.rabbit',
        'lazy.orange.elephant',
        'quick.orange.fox',
      ]);
      assert.deepEqual(await receivedUntil(q2, marker), [
        'quick.orange.rabbit',
        'lazy.pink.rabbit',
      ]);
      assert.deepEqual(await receivedUntil(q3, marker), [
        'lazy.orange.elephant',
        'lazy.brown.fox',
        'lazy.pink.rabbit',
        'lazy',
        'lazy.orange.new.rabbit',
      ]);
    });

    test('every copy of a routed message has its id, content type and headers', async () => {
      const exchange = uniqueName('topic');
      const a = await bound(exchange, 'order.*');
      const b = await bound(exchange, '#');
      const id = await queues.publishToExchange(exchange, 'order.created', {
        body: Buffer.from('{"n":1}'),
        contentType: 'application/json',
        headers: { tenant: 'acme' },
      });
      for (const inbox of [a, b]) {
        const got = await inbox.next();
        assert.equal(got.message.id, id);
        assert.equal(got.message.contentType, 'application/json');
        assert.deepEqual(got.message.headers, { tenant: 'acme' });
        assert.equal(got.message.attempts, 1);
        assert.equal(text(got), '{"n":1}');
        got.ack();
      }
    });

    test('amq.direct matches whole keys only; amq.fanout ignores them', async () => {
      const key = uniqueName('key');
      const direct = await bound('amq.direct', key);
      await assert.rejects(
        queues.publishToExchange('amq.direct', `${key}.more`, { body: Buffer.from('x') }),
        { code: 'QUEUE_NOT_FOUND' },
      );
      await queues.publishToExchange('amq.direct', key, { body: Buffer.from('direct') });
      const got = await direct.next();
      assert.equal(text(got), 'direct');
      got.ack();

      const fanout = await bound('amq.fanout', 'ignored');
      await queues.publishToExchange('amq.fanout', 'any.key', { body: Buffer.from('fanned') });
      const fanned = await fanout.next();
      assert.equal(text(fanned), 'fanned');
      fanned.ack();
    });

    test('an exchange no binding declared fails with EXCHANGE_NOT_FOUND', async () => {
      await assert.rejects(
        queues.publishToExchange(uniqueName('nowhere'), 'k', { body: Buffer.from('x') }),
        { code: 'EXCHANGE_NOT_FOUND' },
      );
      // The broker is still fine afterwards (on RabbitMQ, the shared publisher channel is intact).
      const exchange = uniqueName('topic');
      const inbox = await bound(exchange, '#');
      await queues.publishToExchange(exchange, 'after', { body: Buffer.from('after') });
      const got = await inbox.next();
      assert.equal(text(got), 'after');
      got.ack();
    });
  });
}
