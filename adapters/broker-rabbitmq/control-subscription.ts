import type { Logger } from '../../core/logger.ts';
import type { ControlEvent } from '../../core/messages.ts';
import { decode } from './codec.ts';
import type { ConsumerSpec } from './managed-consumer.ts';

/**
 * A subscriber to the control fanout: its own exclusive, auto-deleted, server-named queue, so
 * every subscriber hears every event announced while it listens, and nothing outlives it.
 */
export function controlSubscription(options: {
  exchange: string;
  handler: (event: ControlEvent) => void;
  logger: Logger;
}): ConsumerSpec {
  const { handler, logger: log } = options;
  return {
    label: 'control',
    noAck: true,
    async prepare(channel) {
      const { queue } = await channel.assertQueue('', {
        exclusive: true,
        autoDelete: true,
        durable: false,
      });
      await channel.bindQueue(queue, options.exchange, '');
      return queue;
    },
    onMessage(raw) {
      try {
        handler(decode(raw) as ControlEvent);
      } catch (error) {
        log.error({ err: error }, 'control event handler failed');
      }
    },
  };
}
