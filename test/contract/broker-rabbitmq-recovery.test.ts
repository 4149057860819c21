/**
 * What the shared contract cannot check because it is RabbitMQ's own: the queue type and its
 * arguments, and recovery from a connection the server closed. Needs the local RabbitMQ and its
 * `rabbitmqctl` (scripts/ensure-rabbitmq.sh); fails, never skips, without them.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { connect } from 'amqplib';
import type { RabbitMqBroker } from '../../adapters/broker-rabbitmq/index.ts';
import type { BrokerState, InvocationDelivery } from '../../core/broker.ts';
import type { ControlEvent, ResultEvent } from '../../core/messages.ts';
import { invocation, resultFor, spec, uniqueName } from '../support/fixtures.ts';
import { Inbox } from '../support/inbox.ts';
import { quickBroker, TEST_AMQP_URL as AMQP_URL } from '../support/rabbitmq-core.ts';
import { killConnection, rabbitmqctl } from '../support/rabbitmqctl.ts';

const PREFIX = `fjord-test-${randomBytes(4).toString('hex')}`;
const HOW_TO = 'run scripts/ensure-rabbitmq.sh first';

describe('RabbitMqBroker on RabbitMQ', () => {
  const declared = new Set<string>();
  const open: RabbitMqBroker[] = [];

  /** A started broker with its own connection name, so a test can kill exactly its connection. */
  async function create(): Promise<{ broker: RabbitMqBroker; name: string }> {
    const name = `${PREFIX}-${open.length}`;
    const broker = quickBroker(AMQP_URL, { prefix: PREFIX, connectionName: name });
    open.push(broker);
    await broker.start();
    return { broker, name };
  }

  async function declare(broker: RabbitMqBroker): Promise<string> {
    const fn = uniqueName();
    declared.add(fn);
    await broker.declareFunction(fn);
    return fn;
  }

  before(async () => {
    const probe = await connect(AMQP_URL, { timeout: 3000 }).catch((error: unknown) => {
      const where = AMQP_URL.replace(/:[^:@/]*@/, ':***@');
      throw new Error(`RabbitMQ is not reachable at ${where} (${String(error)}): ${HOW_TO}`, {
        cause: error,
      });
    });
    await probe.close();
    await rabbitmqctl('-q', 'ping');
  });

  after(async () => {
    for (const broker of open) await broker.close();
    const connection = await connect(AMQP_URL).catch(() => undefined);
    if (connection === undefined) return; // before() reported why
    const channel = await connection.createChannel();
    for (const fn of declared) {
      await channel.deleteQueue(`${PREFIX}.fn.${fn}`);
      await channel.deleteQueue(`${PREFIX}.sync.${fn}`);
    }
    await channel.deleteQueue(`${PREFIX}.results`);
    await channel.deleteQueue(`${PREFIX}.dead-letters`);
    for (const exchange of ['invocations', 'control', 'delay', 'retries', 'retries.orphans']) {
      await channel.deleteExchange(`${PREFIX}.${exchange}`);
    }
    await channel.close();
    await connection.close();
  });

  test('a function queue is a durable quorum queue with a delivery limit', async () => {
    const { broker } = await create();
    const fn = await declare(broker);
    const listed = await rabbitmqctl(
      'list_queues',
      'name',
      'type',
      'durable',
      'arguments',
      '--formatter',
      'json',
      '-q',
    );
    const queues = JSON.parse(listed) as {
      name: string;
      type: string;
      durable: boolean;
      arguments: [string, string, unknown][];
    }[];
    const queue = queues.find((q) => q.name === `${PREFIX}.fn.${fn}`);
    assert.ok(queue, 'the function queue exists');
    assert.equal(queue.type, 'quorum');
    assert.equal(queue.durable, true);
    const limit = queue.arguments.find(([key]) => key === 'x-delivery-limit');
    assert.equal(limit?.[2], 20);
  });

  test('after the server closes its connection it goes down, comes back and restores everything', async () => {
    const { broker, name } = await create();
    const fn = await declare(broker);
    const states = new Inbox<BrokerState>();
    let enqueuedWhileDown: Promise<void> | undefined;
    broker.onStateChange((state) => {
      // Right when it happens: the reconnect may well be done before the test looks again.
      if (state === 'down') {
        enqueuedWhileDown ??= assert.rejects(broker.enqueue(invocation(fn, 'lost')), {
          code: 'BROKER_UNAVAILABLE',
        });
      }
      states.push(state);
    });
    const idle = await declare(broker); // no consumer: a call to it waits for the connection loss
    const deliveries = new Inbox<InvocationDelivery>();
    await broker.consume(fn, 2, async (d) => {
      if (d.message.mode === 'sync') await d.reply(resultFor(d.message, 'pong', d.attempt));
      d.ack();
      deliveries.push(d);
    });
    const control = new Inbox<ControlEvent>();
    await broker.onControl(control.push);
    const results = new Inbox<ResultEvent>();
    await broker.consumeResults(async (event) => results.push(event));
    // Handled from the start: it rejects as soon as the connection drops.
    const waiting = assert.rejects(
      broker.call(invocation(idle, 'x', { mode: 'sync', replyBy: Date.now() + 30_000 })),
      { code: 'BROKER_UNAVAILABLE' },
    );

    await killConnection(name);
    assert.equal(await states.next(10_000, 'down'), 'down');
    await enqueuedWhileDown;
    await waiting;
    assert.equal(await states.next(10_000, 'up'), 'up');

    const msg = invocation(fn, 'after reconnect');
    await broker.enqueue(msg);
    const got = await deliveries.next(10_000, 'delivery to the restored consumer');
    assert.equal(got.message.id, msg.id);
    assert.equal(got.attempt, 1);

    const reply = await broker.call(
      invocation(fn, 'ping', { mode: 'sync', replyBy: Date.now() + 5000 }),
    );
    assert.equal(reply.value, 'pong', 'the reply-to consumer was restored');

    const marker = uniqueName('ctl');
    await broker.announce({ type: 'deployed', fn: spec(marker) });
    for (;;) {
      const event = await control.next(5000, 'control event after reconnect');
      if (event.type === 'deployed' && event.fn.name === marker) break;
    }
    await broker.publishResult({ type: 'finished', result: resultFor(msg, 'done') });
    const event = await results.next(5000, 'result after reconnect');
    assert.equal(event.type === 'finished' && event.result.id, msg.id);
  });

  test('an unacked delivery whose connection died comes back as attempt 2', async () => {
    const { broker, name } = await create();
    const states = new Inbox<BrokerState>();
    broker.onStateChange(states.push);
    const fn = await declare(broker);
    const deliveries = new Inbox<InvocationDelivery>();
    await broker.consume(fn, 1, async (d) => deliveries.push(d));
    const msg = invocation(fn, 'crash mid-flight');
    await broker.enqueue(msg);
    const first = await deliveries.next();
    assert.equal(first.attempt, 1);

    await killConnection(name);
    const again = await deliveries.next(10_000, 'redelivery');
    assert.equal(again.message.id, msg.id);
    assert.equal(again.attempt, 2);
    assert.doesNotThrow(() => first.ack(), 'acking on the dead channel is harmless');
    again.ack();

    assert.equal(await states.next(), 'down');
    assert.equal(await states.next(), 'up');
    const marker = invocation(fn, 'marker');
    await broker.enqueue(marker);
    assert.equal((await deliveries.next()).message.id, marker.id, 'acked: it does not come back');
  });

  test('acks sent right before close() are not lost', async () => {
    const { broker: first } = await create();
    const fn = await declare(first);
    const sent = Array.from({ length: 50 }, (_, n) => invocation(fn, n));
    for (const m of sent) await first.enqueue(m);
    let acked = 0;
    let allAcked!: () => void;
    const done = new Promise<void>((resolve) => (allAcked = resolve));
    await first.consume(fn, 50, async (d) => {
      d.ack();
      if (++acked === sent.length) allAcked();
    });
    await done;
    await first.close(); // right after the last ack: its channel must close first

    const { broker: second } = await create();
    const deliveries = new Inbox<InvocationDelivery>();
    await second.consume(fn, 1, async (d) => deliveries.push(d));
    const marker = invocation(fn, 'marker');
    await second.enqueue(marker);
    const next = await deliveries.next();
    assert.equal(next.message.id, marker.id, 'an acked message came back');
    next.ack();
  });

  test('a handler that throws gets its delivery requeued as the next attempt', async () => {
    const { broker } = await create();
    const fn = await declare(broker);
    const deliveries = new Inbox<InvocationDelivery>();
    await broker.consume(fn, 1, async (d) => {
      deliveries.push(d);
      if (d.attempt === 1) throw new Error('handler bug');
    });
    const msg = invocation(fn, 'boom');
    await broker.enqueue(msg);
    assert.equal((await deliveries.next()).attempt, 1);
    const again = await deliveries.next();
    assert.equal(again.message.id, msg.id);
    assert.equal(again.attempt, 2);
    again.ack();
  });

  test('enqueue, call and consume of a function without a queue fail with FUNCTION_NOT_FOUND', async () => {
    const { broker } = await create();
    const fn = uniqueName('missing');
    await assert.rejects(broker.enqueue(invocation(fn, 'x')), { code: 'FUNCTION_NOT_FOUND' });
    const sync = invocation(fn, 'x', { mode: 'sync', replyBy: Date.now() + 30_000 });
    await assert.rejects(broker.call(sync), { code: 'FUNCTION_NOT_FOUND' });
    await assert.rejects(
      broker.consume(fn, 1, async () => undefined),
      { code: 'FUNCTION_NOT_FOUND' },
    );
    assert.equal(broker.state, 'up', 'a refused consume leaves the connection alone');
  });
});
