import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { RabbitMqBroker } from '../../adapters/broker-rabbitmq/index.ts';
import type { BrokerState, QueueDelivery } from '../../core/broker.ts';
import { silentLogger } from '../../core/logger.ts';
import { testVhost } from '../e2e/support/rabbitmq.ts';
import { uniqueName } from '../support/fixtures.ts';
import { Inbox } from '../support/inbox.ts';
import { queueExchangesContract } from './queue-exchanges.contract.ts';
import { queueTriggersContract } from './queue-triggers.contract.ts';

// A vhost of its own: the trigger queues, exchanges and delay tiers go with it.
const url = testVhost();

queueTriggersContract('rabbitmq', async () => {
  return new RabbitMqBroker({ url, logger: silentLogger(), startTimeoutMs: 5000 });
});

queueExchangesContract('rabbitmq', async () => {
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
    await assert.rejects(
      broker.queues.publishToExchange('fjord.retries', 'k', { body: Buffer.from('{}') }),
      { code: 'FORBIDDEN' },
    );
  } finally {
    await broker.close();
  }
});

/** Closes, from the server side, the one connection that carries this name. */
async function killConnection(connectionName: string): Promise<void> {
  const ctl = (...args: string[]) =>
    promisify(execFile)('rabbitmqctl', args, {
      env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` },
      timeout: 30_000,
    });
  const { stdout } = await ctl('list_connections', 'pid', 'client_properties', '-q', '-s');
  const row = stdout.split('\n').find((r) => r.includes(`{"connection_name","${connectionName}"}`));
  const pid = row?.split('\t')[0];
  if (pid === undefined) throw new Error(`no connection named ${connectionName}`);
  await ctl('close_connection', pid, 'fjord queue-trigger recovery test');
}

test('a trigger consumer keeps consuming after the server closed its connection', async () => {
  const connectionName = `fjord-queue-recovery-${randomBytes(3).toString('hex')}`;
  const broker = new RabbitMqBroker({
    url,
    logger: silentLogger(),
    connectionName,
    startTimeoutMs: 5000,
    reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
  });
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
