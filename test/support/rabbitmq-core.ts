/**
 * Connections to the test RabbitMQ with quick reconnects, as the adapter's tests use them: a
 * started connection for one core part of the adapter (a publisher, an RPC client), or a whole
 * broker, so a test that cuts a connection does not wait out the production backoff.
 */
import {
  ConnectionManager,
  type Participant,
} from '../../adapters/broker-rabbitmq/connection-manager.ts';
import { RabbitMqBroker } from '../../adapters/broker-rabbitmq/index.ts';
import type { RabbitMqBrokerOptions } from '../../adapters/broker-rabbitmq/options.ts';
import { silentLogger, type Logger } from '../../core/logger.ts';

/** The test broker: FN_TEST_AMQP_URL, else the local RabbitMQ (scripts/ensure-rabbitmq.sh). */
export const TEST_AMQP_URL = process.env.FN_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** The reconnect backoff of the tests: from 50 ms, doubling up to half a second. */
const QUICK_RECONNECT = { initialDelayMs: 50, maxDelayMs: 500 };

/** Connects `core` under `connectionName`; the caller closes the manager. */
export async function startCore(
  core: Participant,
  connectionName: string,
  logger: Logger,
): Promise<ConnectionManager> {
  const manager = new ConnectionManager({
    core: [core],
    urls: [TEST_AMQP_URL],
    connectionName,
    startTimeoutMs: 5000,
    ...QUICK_RECONNECT,
    logger,
  });
  await manager.start();
  return manager;
}

/**
 * A broker on `url` (not started) that reconnects quickly and logs nothing, with a start timeout
 * of 5 s; `options` add to these or override them.
 */
export function quickBroker(
  url: string,
  options: Partial<RabbitMqBrokerOptions> = {},
): RabbitMqBroker {
  return new RabbitMqBroker({
    url,
    logger: silentLogger(),
    startTimeoutMs: 5000,
    reconnect: QUICK_RECONNECT,
    ...options,
  });
}
