import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import type { BrokerState, QueueDelivery } from '../../core/broker.ts';
import { testVhost } from '../e2e/support/rabbitmq.ts';
import { uniqueName } from '../support/fixtures.ts';
import { Inbox } from '../support/inbox.ts';
import { quickBroker } from '../support/rabbitmq-core.ts';
import { killConnection } from '../support/rabbitmqctl.ts';
import { queueExchangesContract } from './queue-exchanges.contract.ts';
import { queueTriggersContract } from './queue-triggers.contract.ts';

// A vhost of its own: the trigger queues, exchanges and delay tiers go with it.
const url = testVhost();

queueTriggersContract('rabbitmq', async () => quickBroker(url));

queueExchangesContract('rabbitmq', async () => quickBroker(url));

test("Fjord's own queues can be neither a trigger's queue nor a publish target", async () => {
  const broker = quickBroker(url);
  await broker.start();
  try {
    await assert.rejects(broker.queues.declare({ fn: 'f', queue: 'fjord.results' }), {
      code: 'INVALID_MANIFEST',
    });
    await assert.rejects(broker.queues.publish('fjord.fn.f', { body: Buffer.from('{}') }), {
      code: 'FORBIDDEN',
    });
    await assert.rejects(
      broker.queues.publishToExchange('fjord.retries', 'k', { body: Buffer.from('{}') }),
      { code: 'FORBIDDEN' },
    );
  } finally {
    await broker.close();
  }
});

test('a trigger consumer keeps consuming after the server closed its connection', async () => {
  const connectionName = `fjord-queue-recovery-${randomBytes(3).toString('hex')}`;
  const broker = quickBroker(url, { connectionName });
  await broker.start();
  try {
    const binding = { fn: 'f', queue: uniqueName('q') };
    await broker.queues.declare(binding);
    const inbox = new Inbox<QueueDelivery>();
    await broker.queues.consume(binding, 2, (d) => inbox.push(d));
    const states = new Inbox<BrokerState>();
    broker.onStateChange((state) => states.push(state));
    await killConnection(connectionName);
    while ((await states.next(20_000, 'the broker up again')) !== 'up');
    await broker.queues.publish(binding.queue, { body: Buffer.from('after the loss') });
    const got = await inbox.next(20_000, 'a delivery after the reconnect');
    assert.equal(Buffer.from(got.message.body).toString(), 'after the loss');
    got.ack();
  } finally {
    await broker.close();
  }
});
