/**
 * The publisher sends a nacked message again until its confirm timeout (a quorum queue whose
 * leader just died nacks until a new one is elected; test/e2e/rabbitmq-cluster.test.ts is that
 * case). Here a classic queue that refuses messages while full (`x-overflow: reject-publish`)
 * stands for it: its nacks stop once a message is taken out. Needs the local RabbitMQ
 * (scripts/ensure-rabbitmq.sh); fails, never skips, without it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import type { ConnectionManager } from '../../adapters/broker-rabbitmq/connection-manager.ts';
import { ConfirmPublisher } from '../../adapters/broker-rabbitmq/publisher.ts';
import { FjordError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { waitFor } from '../support/inbox.ts';
import { startCore, TEST_AMQP_URL as AMQP_URL } from '../support/rabbitmq-core.ts';

/** A logger that keeps every message it was given, children included. */
function recordingLogger(messages: string[]): Logger {
  const record = (_: object, msg?: string): void => {
    if (msg !== undefined) messages.push(msg);
  };
  const logger: Logger = {
    debug: record,
    info: record,
    warn: record,
    error: record,
    child: () => logger,
  };
  return logger;
}

describe('ConfirmPublisher and nacks', () => {
  const queue = `fjord-test-nack-${randomBytes(4).toString('hex')}`;
  const managers: ConnectionManager[] = [];
  let admin: ChannelModel;
  let channel: Channel;

  async function publisher(
    confirmTimeoutMs: number,
    messages: string[],
  ): Promise<ConfirmPublisher> {
    const logger = recordingLogger(messages);
    const publisher = new ConfirmPublisher({ confirmTimeoutMs, logger });
    managers.push(await startCore(publisher, queue, logger));
    return publisher;
  }

  const send = (p: ConfirmPublisher, text: string): Promise<void> =>
    p.publish('', queue, Buffer.from(text), { persistent: true, type: 'test' });

  before(async () => {
    admin = await connect(AMQP_URL);
    channel = await admin.createChannel();
    await channel.assertQueue(queue, {
      durable: true,
      arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish' },
    });
  });

  after(async () => {
    await Promise.all(managers.map((m) => m.close()));
    await channel.deleteQueue(queue);
    await admin.close();
  });

  test('a nacked message is sent again and confirmed once the queue takes it', async () => {
    const messages: string[] = [];
    const p = await publisher(30_000, messages);
    await send(p, 'first');
    const second = send(p, 'second');
    await waitFor(() => messages.includes('message nacked; sending it again'), {
      what: 'the full queue to nack the second message',
    });
    assert.ok(await channel.get(queue, { noAck: true }), 'the first message taken out');
    await second;
    const left = await channel.get(queue, { noAck: true });
    assert.equal(left === false ? undefined : left.content.toString(), 'second');
  });

  test('a message still nacked at the confirm timeout fails with BROKER_UNAVAILABLE', async () => {
    const messages: string[] = [];
    const p = await publisher(1000, messages);
    await send(p, 'fills the queue');
    await assert.rejects(send(p, 'refused'), (error: unknown) => {
      assert.ok(error instanceof FjordError);
      assert.equal(error.code, 'BROKER_UNAVAILABLE');
      return true;
    });
    const nacks = messages.filter((m) => m === 'message nacked; sending it again').length;
    assert.ok(nacks >= 2, `sent again after each nack (${nacks} nacks)`);
    const kept = await channel.get(queue, { noAck: true });
    assert.equal(kept === false ? undefined : kept.content.toString(), 'fills the queue');
  });

  test('each message waiting for its confirm fails at its own timeout, one timer for them all', async () => {
    const messages: string[] = [];
    const p = await publisher(1000, messages);
    await send(p, 'fills the queue');
    const failed: string[] = [];
    const refused = (text: string): Promise<void> =>
      send(p, text).then(
        () => assert.fail(`${text} was confirmed by a full queue`),
        (error: unknown) => {
          assert.ok(error instanceof FjordError);
          assert.equal(error.code, 'BROKER_UNAVAILABLE');
          failed.push(text);
        },
      );
    const first = refused('first');
    await waitFor(() => messages.includes('message nacked; sending it again'), {
      what: 'the full queue to nack the first message',
    });
    const second = refused('second'); // due later than the first
    await Promise.all([first, second]);
    assert.deepEqual(failed, ['first', 'second']);
    // With nothing left waiting, the timer is set again for the next message.
    assert.ok(await channel.get(queue, { noAck: true }), 'the queue emptied');
    await send(p, 'confirmed');
    const left = await channel.get(queue, { noAck: true });
    assert.equal(left === false ? undefined : left.content.toString(), 'confirmed');
  });

  test('shutdown waits for a message still awaiting its confirm', async () => {
    const messages: string[] = [];
    const p = await publisher(30_000, messages);
    await send(p, 'fills the queue');
    const waiting = send(p, 'waits');
    await waitFor(() => messages.includes('message nacked; sending it again'), {
      what: 'the full queue to nack the second message',
    });
    const outcome = waiting.then(
      () => 'confirmed',
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    await p.shutdown();
    // Settled by its own nack once shutdown stopped the resends, not cut off by the channel close.
    assert.match(await outcome, /RabbitMQ did not take the message/);
    const kept = await channel.get(queue, { noAck: true });
    assert.equal(kept === false ? undefined : kept.content.toString(), 'fills the queue');
  });
});
