import type { Logger } from '../../core/logger.ts';
import type { ResultEvent } from '../../core/messages.ts';
import { attemptOf, decode } from './codec.ts';
import type { ConsumerSpec } from './managed-consumer.ts';

export interface ResultsConsumerOptions {
  queue: string;
  prefetch: number;
  handler: (event: ResultEvent) => Promise<void>;
  logger: Logger;
}

/** Backoff before a failed result goes back to the queue: 100 ms, doubling, at most 5 s. */
function retryDelayMs(attempt: number): number {
  return Math.min(5000, 100 * 2 ** Math.min(attempt - 1, 6));
}

/**
 * Consumes the shared results queue (gateways compete for it): acks when the handler resolved,
 * requeues after a short delay when it threw, so a failing store is not hammered in a hot loop.
 */
export function resultsConsumer(options: ResultsConsumerOptions): ConsumerSpec {
  const { handler, logger: log } = options;
  return {
    label: 'results',
    noAck: false,
    prefetch: options.prefetch,
    prepare: async () => options.queue,
    onMessage(raw, settle) {
      let event: ResultEvent;
      try {
        event = decode(raw) as ResultEvent;
      } catch (error) {
        log.error({ err: error }, 'undecodable result dropped');
        settle('reject');
        return;
      }
      handler(event).then(
        () => settle('ack'),
        (error: unknown) => {
          const attempt = attemptOf(raw);
          const delayMs = retryDelayMs(attempt);
          log.warn({ err: error, attempt, delayMs }, 'result handler failed; redelivering');
          // Unref'd: close() returns the message to the queue anyway by closing the channel.
          setTimeout(() => settle('requeue'), delayMs).unref();
        },
      );
    },
  };
}
