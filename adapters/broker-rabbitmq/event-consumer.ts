import type { ConsumeMessage } from 'amqplib';
import type { Logger } from '../../core/logger.ts';
import { attemptOf } from './codec.ts';
import type { ConsumerSpec } from './managed-consumer.ts';

export interface EventConsumerOptions<Event> {
  label: string;
  queue: string;
  prefetch: number;
  /** Reads an event from a message; throws for one that cannot be read (it is dropped). */
  parse(raw: ConsumeMessage): Event;
  handler: (event: Event) => Promise<void>;
  logger: Logger;
}

/** Backoff before a failed event goes back to the queue: 100 ms, doubling, at most 5 s. */
function retryDelayMs(attempt: number): number {
  return Math.min(5000, 100 * 2 ** Math.min(attempt - 1, 6));
}

/**
 * Consumes a shared durable queue of events (results, dead letters; gateways compete for it):
 * acks when the handler resolved, requeues after a short delay when it threw, so a failing store
 * is not hammered in a hot loop.
 */
export function eventConsumer<Event>(options: EventConsumerOptions<Event>): ConsumerSpec {
  const { handler, logger: log, label } = options;
  return {
    label,
    noAck: false,
    prefetch: options.prefetch,
    prepare: async () => options.queue,
    onMessage(raw, settle) {
      let event: Event;
      try {
        event = options.parse(raw);
      } catch (error) {
        log.error({ err: error, consumer: label }, 'undecodable event dropped');
        settle('reject');
        return;
      }
      handler(event).then(
        () => settle('ack'),
        (error: unknown) => {
          const attempt = attemptOf(raw);
          const delayMs = retryDelayMs(attempt);
          log.warn(
            { err: error, attempt, delayMs, consumer: label },
            'handler failed; redelivering',
          );
          // Unref'd: close() returns the message to the queue anyway by closing the channel.
          setTimeout(() => settle('requeue'), delayMs).unref();
        },
      );
    },
  };
}
