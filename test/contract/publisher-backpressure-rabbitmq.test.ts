/**
 * The publisher under write backpressure: a message goes out at once while its channel's write
 * buffer has room, and waits for 'drain' once amqplib said the buffer is full (publish() returned
 * false after 1024 frames). Those that waited and those that come after them must reach the queue
 * in the order they were published: a message that finds the buffer drained must not overtake
 * one still waiting to go. Needs the local RabbitMQ (scripts/ensure-rabbitmq.sh).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import type { ConnectionManager } from '../../adapters/broker-rabbitmq/connection-manager.ts';
import { ConfirmPublisher } from '../../adapters/broker-rabbitmq/publisher.ts';
import { silentLogger } from '../../core/logger.ts';
import { startCore, TEST_AMQP_URL as AMQP_URL } from '../support/rabbitmq-core.ts';

const queue = `fjord-test-backpressure-${randomBytes(4).toString('hex')}`;
let admin: ChannelModel;
let channel: Channel;
let manager: ConnectionManager;
let publisher: ConfirmPublisher;

before(async () => {
  admin = await connect(AMQP_URL);
  channel = await admin.createChannel();
  await channel.assertQueue(queue, { durable: false });
  const logger = silentLogger();
  publisher = new ConfirmPublisher({ confirmTimeoutMs: 30_000, logger });
  manager = await startCore(publisher, queue, logger);
});

after(async () => {
  await manager.close();
  await channel.deleteQueue(queue);
  await admin.close();
});

test('messages published past a full write buffer arrive in the order they were published', async () => {
  const send = (n: number): Promise<void> =>
    publisher.publish('', queue, Buffer.from(String(n)), { persistent: false, type: 'test' });
  const sent: Promise<void>[] = [];
  // More than the buffer's 1024 frames in one tick: the rest wait for 'drain'.
  for (let n = 0; n < 3000; n++) sent.push(send(n));
  // More while those wait, and after they went, each in a later tick.
  for (let n = 3000; n < 3200; n++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    sent.push(send(n));
  }
  await Promise.all(sent);
  const received: number[] = [];
  for (;;) {
    const message = await channel.get(queue, { noAck: true });
    if (message === false) break;
    received.push(Number(message.content.toString()));
  }
  assert.equal(received.length, 3200);
  const firstOutOfOrder = received.findIndex((n, i) => n !== i);
  assert.equal(
    firstOutOfOrder,
    -1,
    `message ${received[firstOutOfOrder]} came at ${firstOutOfOrder}`,
  );
});
