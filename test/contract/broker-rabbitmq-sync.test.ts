/**
 * Sync calls on RabbitMQ go through a transient classic queue per function (topology.ts
 * declareSyncQueue), and through the function's quorum queue when that queue is gone (a broker
 * node took it along). Needs the local RabbitMQ (scripts/ensure-rabbitmq.sh); fails, never
 * skips, without it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { RabbitMqBroker } from '../../adapters/broker-rabbitmq/index.ts';
import type { InvocationDelivery } from '../../core/broker.ts';
import type { Logger } from '../../core/logger.ts';
import { invocation, resultFor, uniqueName } from '../support/fixtures.ts';
import { Inbox, waitFor } from '../support/inbox.ts';

const AMQP_URL = process.env.FN_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const PREFIX = `fjord-test-${randomBytes(4).toString('hex')}`;

/** A logger that keeps every message, so a test can wait for one. */
function recordingLogger(messages: string[]): Logger {
  const keep = (_: object, message?: string): void => void messages.push(message ?? '');
  const logger: Logger = { debug: keep, info: keep, warn: keep, error: keep, child: () => logger };
  return logger;
}

/** Runs `task` on a fresh raw channel (a 404 closes only that one). */
async function onChannel<T>(
  connection: ChannelModel,
  task: (c: Channel) => Promise<T>,
): Promise<T> {
  const channel = await connection.createChannel();
  channel.on('error', () => undefined); // a 404 is an answer here, reported by the promise
  try {
    return await task(channel);
  } finally {
    await channel.close().catch(() => undefined);
  }
}

/** Ready messages in `queue`, or undefined when it does not exist. */
async function depth(connection: ChannelModel, queue: string): Promise<number | undefined> {
  return onChannel(connection, async (c) => (await c.checkQueue(queue)).messageCount).catch(
    () => undefined,
  );
}

describe('RabbitMqBroker sync calls', async () => {
  const raw = await connect(AMQP_URL, { timeout: 3000 }).catch((error: unknown) => {
    throw new Error(
      `RabbitMQ is not reachable (${String(error)}): run scripts/ensure-rabbitmq.sh`,
      {
        cause: error,
      },
    );
  });
  const logged: string[] = [];
  const broker = new RabbitMqBroker({
    url: AMQP_URL,
    logger: recordingLogger(logged),
    prefix: PREFIX,
    startTimeoutMs: 5000,
  });
  await broker.start();
  const declared: string[] = [];

  after(async () => {
    await broker.close();
    await onChannel(raw, async (c) => {
      for (const fn of declared) {
        await c.deleteQueue(`${PREFIX}.fn.${fn}`);
        await c.deleteQueue(`${PREFIX}.sync.${fn}`);
      }
      await c.deleteQueue(`${PREFIX}.results`);
      await c.deleteQueue(`${PREFIX}.dead-letters`);
      for (const exchange of ['invocations', 'control', 'delay', 'retries', 'retries.orphans']) {
        await c.deleteExchange(`${PREFIX}.${exchange}`);
      }
    });
    await raw.close();
  });

  async function declare(): Promise<string> {
    const fn = uniqueName();
    declared.push(fn);
    await broker.declareFunction(fn);
    return fn;
  }

  test('a function has a transient classic queue for its sync calls, which carries them', async () => {
    const fn = await declare();
    const sync = `${PREFIX}.sync.${fn}`;
    const call = broker.call(invocation(fn, 'x', { mode: 'sync', replyBy: Date.now() + 10_000 }));
    // Nobody consumes yet: the call waits in the sync queue, not in the quorum queue.
    await waitFor(async () => (await depth(raw, sync)) === 1, {
      what: 'the call in the sync queue',
    });
    assert.equal(await depth(raw, `${PREFIX}.fn.${fn}`), 0);
    assert.equal(await broker.queueDepth(fn), 1, 'queueDepth counts waiting sync calls');

    await broker.consume(fn, 1, async (d) => {
      await d.reply(resultFor(d.message, 'pong', d.attempt));
      d.ack();
    });
    assert.equal((await call).value, 'pong');
    const durable = await onChannel(raw, async (c) => {
      // Redeclaring with other arguments would fail with 406: these are the queue's own.
      await c.assertQueue(sync, {
        durable: false,
        arguments: { 'x-queue-type': 'classic', 'x-expires': 30 * 60 * 1000 },
      });
      return true;
    });
    assert.ok(durable);
  });

  test('a call whose sync queue is gone goes to the quorum queue, and the consumer redeclares it', async () => {
    const fn = await declare();
    const sync = `${PREFIX}.sync.${fn}`;
    const deliveries = new Inbox<InvocationDelivery>();
    await broker.consume(fn, 2, async (d) => {
      deliveries.push(d);
      await d.reply(resultFor(d.message, d.message.id, d.attempt));
      d.ack();
    });
    await onChannel(raw, (c) => c.deleteQueue(sync)); // as a broker node dying would

    const message = invocation(fn, 'y', { mode: 'sync', replyBy: Date.now() + 10_000 });
    const result = await broker.call(message);
    assert.equal(result.value, message.id);
    assert.equal((await deliveries.next()).message.id, message.id);

    await waitFor(async () => (await depth(raw, sync)) !== undefined, {
      what: 'the sync queue declared again by its consumer',
    });
    const again = invocation(fn, 'z', { mode: 'sync', replyBy: Date.now() + 10_000 });
    assert.equal((await broker.call(again)).value, again.id);
  });

  test('deleteFunction deletes the sync queue too, and its consumer does not bring it back', async () => {
    const fn = await declare();
    const sync = `${PREFIX}.sync.${fn}`;
    await broker.consume(fn, 1, async (d) => d.ack());
    assert.notEqual(await depth(raw, sync), undefined);
    const dropped = logged.filter((m) => m === 'queue is gone; subscription dropped').length;
    await broker.deleteFunction(fn);
    assert.equal(await depth(raw, sync), undefined);
    // The sync consumer reopens after its cancel, finds the function queue gone and stops.
    await waitFor(
      () => logged.filter((m) => m === 'queue is gone; subscription dropped').length > dropped,
      { what: 'the sync consumer to give up' },
    );
    assert.equal(await depth(raw, sync), undefined, 'the sync queue stays deleted');
    const call = invocation(fn, 'gone', { mode: 'sync', replyBy: Date.now() + 10_000 });
    await assert.rejects(broker.call(call), { code: 'FUNCTION_NOT_FOUND' });
  });
});
