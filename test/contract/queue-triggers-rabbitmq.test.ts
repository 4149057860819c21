import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RabbitMqBroker } from '../../adapters/broker-rabbitmq/index.ts';
import { silentLogger } from '../../core/logger.ts';
import { testVhost } from '../e2e/support/rabbitmq.ts';
import { queueTriggersContract } from './queue-triggers.contract.ts';

// A vhost of its own: the trigger queues, exchanges and delay tiers go with it.
const url = testVhost();

queueTriggersContract('rabbitmq', async () => {
  return new RabbitMqBroker({ url, logger: silentLogger(), startTimeoutMs: 5000 });
});

test("Fjord's own queues can be neither a trigger's queue nor a publish target", async () => {
  const broker = new RabbitMqBroker({ url, logger: silentLogger(), startTimeoutMs: 5000 });
  await broker.start();
  try {
    await assert.rejects(broker.queues.declare({ fn: 'f', queue: 'fjord.results' }), {
      code: 'INVALID_MANIFEST',
    });
    await assert.rejects(broker.queues.publish('fjord.fn.f', { body: Buffer.from('{}') }), {
      code: 'FORBIDDEN',
    });
  } finally {
    await broker.close();
  }
});
