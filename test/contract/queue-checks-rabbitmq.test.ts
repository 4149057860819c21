/**
 * Queue depths are read on one long-lived channel (adapters/broker-rabbitmq/queue-checks.ts): a
 * check of a missing queue closes that channel (AMQP's 404 rule) and fails only its own check,
 * the next one opens another channel, and a reconnect gets a channel on the new connection.
 * On the local RabbitMQ (scripts/ensure-rabbitmq.sh); fails, never skips, without it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { connect } from 'amqplib';
import { QueueChecks } from '../../adapters/broker-rabbitmq/queue-checks.ts';
import { Session } from '../../adapters/broker-rabbitmq/session.ts';
import { silentLogger } from '../../core/logger.ts';

const AMQP_URL = process.env.FN_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const queue = `fjord-test-checks-${randomBytes(4).toString('hex')}`;

/** A real session whose channel opens the test counts. */
async function countedSession(id: number): Promise<{ session: Session; opened: () => number }> {
  const session = new Session(await connect(AMQP_URL), id, silentLogger(), () => undefined);
  let opened = 0;
  const open = session.channel.bind(session);
  session.channel = (label, onClose) => {
    opened++;
    return open(label, onClose);
  };
  return { session, opened: () => opened };
}

const admin = await connect(AMQP_URL);
const setup = await admin.createChannel();
await setup.assertQueue(queue, { durable: false, autoDelete: false });
for (let i = 0; i < 3; i++) setup.sendToQueue(queue, Buffer.from(String(i)));
await setup.checkQueue(queue); // a round trip after the sends: they are queued by now
after(async () => {
  await setup.deleteQueue(queue);
  await admin.close();
});

test('depths share one channel; a missing queue costs one reopen and fails no other check', async () => {
  const first = await countedSession(1);
  let current = first.session;
  const checks = new QueueChecks(() => current);
  const missing = `${queue}-missing`;
  const asked = [queue, queue, queue, missing, queue, queue, missing, queue];
  const answers = await Promise.all(asked.map((name) => checks.messageCount(name)));
  assert.deepEqual(answers, [3, 3, 3, undefined, 3, 3, undefined, 3]);
  assert.equal(first.opened(), 3, 'one channel, then one after each 404');
  await checks.messageCount(queue);
  assert.equal(first.opened(), 3, 'the channel stays open between samples');

  // A reconnect: the checks use a channel of the new connection, never one of the old.
  const second = await countedSession(2);
  current = second.session;
  await first.session.close();
  assert.equal(await checks.messageCount(queue), 3);
  assert.equal(second.opened(), 1);
  await second.session.close();
});
