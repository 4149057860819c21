import { RabbitMqBroker } from '../../adapters/broker-rabbitmq/index.ts';
import { silentLogger } from '../../core/logger.ts';
import { testVhost } from '../e2e/support/rabbitmq.ts';
import { queueTriggersContract } from './queue-triggers.contract.ts';

// A vhost of its own: the trigger queues, exchanges and delay tiers go with it.
const url = testVhost();

queueTriggersContract('rabbitmq', async () => {
  return new RabbitMqBroker({ url, logger: silentLogger(), startTimeoutMs: 5000 });
});
