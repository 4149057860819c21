/**
 * The Broker contract against a real RabbitMQ (FN_TEST_AMQP_URL, default the local guest user).
 * Each fixture uses its own name prefix, so its exchanges and queues are its own to delete.
 * Without a reachable RabbitMQ this fails, never skips: run scripts/ensure-rabbitmq.sh first.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'amqplib';
import { RabbitMqBroker } from '../../adapters/broker-rabbitmq/index.ts';
import type { Broker } from '../../core/broker.ts';
import { silentLogger } from '../../core/logger.ts';
import { brokerContract } from './broker.contract.ts';

const AMQP_URL = process.env.FN_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

brokerContract('rabbitmq', async () => {
  const prefix = `fjord-test-${randomBytes(4).toString('hex')}`;
  const declared = new Set<string>();
  await deleteTopology(prefix, declared); // fails clearly when RabbitMQ is not there
  return {
    create: async () =>
      recordDeclares(
        new RabbitMqBroker({
          url: AMQP_URL,
          logger: silentLogger(),
          prefix,
          connectionName: `${prefix}-contract`,
          startTimeoutMs: 5000,
        }),
        declared,
      ),
    cleanup: () => deleteTopology(prefix, declared),
  };
});

/** The broker as is, except that declareFunction also records the name for cleanup. */
function recordDeclares(broker: Broker, declared: Set<string>): Broker {
  return new Proxy(broker, {
    get(target, property) {
      if (property === 'declareFunction') {
        return (name: string) => {
          declared.add(name);
          return target.declareFunction(name);
        };
      }
      // Bound to the target: the adapter's private fields do not exist on the proxy.
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
}

/** Deletes the queues and exchanges a prefix stands for (deleting a missing one is a no-op). */
async function deleteTopology(prefix: string, functions: Iterable<string>): Promise<void> {
  const connection = await connect(AMQP_URL, { noDelay: true, timeout: 3000 }).catch(
    (error: unknown) => {
      throw new Error(
        `RabbitMQ is not reachable at ${AMQP_URL.replace(/:[^:@/]*@/, ':***@')} ` +
          `(${String(error)}): run scripts/ensure-rabbitmq.sh, or set FN_TEST_AMQP_URL`,
        { cause: error },
      );
    },
  );
  try {
    const channel = await connection.createChannel();
    for (const fn of functions) await channel.deleteQueue(`${prefix}.fn.${fn}`);
    await channel.deleteQueue(`${prefix}.results`);
    await channel.deleteExchange(`${prefix}.invocations`);
    await channel.deleteExchange(`${prefix}.control`);
    await channel.close();
  } finally {
    await connection.close();
  }
}
