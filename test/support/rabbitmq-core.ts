/**
 * A started connection to the test RabbitMQ for one core part of the adapter (a publisher, an
 * RPC client), with quick reconnects, as the adapter's contract tests use it.
 */
import {
  ConnectionManager,
  type Participant,
} from '../../adapters/broker-rabbitmq/connection-manager.ts';
import type { Logger } from '../../core/logger.ts';

/** The test broker: FN_TEST_AMQP_URL, else the local RabbitMQ (scripts/ensure-rabbitmq.sh). */
export const TEST_AMQP_URL = process.env.FN_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

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
    initialDelayMs: 50,
    maxDelayMs: 1000,
    logger,
  });
  await manager.start();
  return manager;
}
