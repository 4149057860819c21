/**
 * fn.json `triggers.queue`: the function consumes an AMQP queue in batches. The schema checks
 * each field; what it cannot say (one of queue or exchange, routingKey only with an exchange) is
 * checked here with messages that name the field.
 */
import { FjordError } from './errors.ts';

/** A queue trigger as deployed, every default filled in. */
export interface QueueTrigger {
  /** The durable quorum queue the function consumes (declared by Fjord when missing). */
  queue: string;
  /** An exchange the queue is bound to (declared as a durable topic exchange when missing). */
  exchange?: string;
  /** The binding's routing key; present exactly when `exchange` is. */
  routingKey?: string;
  /** Most messages per batch (1-100). */
  batchSize: number;
  /** Longest a partial batch waits for more messages, in ms. */
  maxWaitMs: number;
  /** Retries after the first attempt; a message is dead-lettered after `maxRetries + 1` attempts. */
  maxRetries: number;
  /** Delay before a retry when the function does not name one. */
  retryDelaySeconds: number;
  /** Batches in flight at once per node. */
  concurrency: number;
}

/** The routing key of a binding whose manifest names none: every message of a topic exchange. */
export const DEFAULT_ROUTING_KEY = '#';

/** Checks a schema-valid `triggers.queue` and fills in the queue name and routing key. */
export function resolveQueueTrigger(
  input: Partial<QueueTrigger>,
  fnName: string,
  source: string,
): QueueTrigger {
  if (input.queue === undefined && input.exchange === undefined) {
    throw new FjordError(
      'INVALID_MANIFEST',
      `${source}: field "triggers.queue" needs "queue" (a queue to consume) or "exchange" (an exchange to bind a queue to)`,
    );
  }
  if (input.routingKey !== undefined && input.exchange === undefined) {
    throw new FjordError(
      'INVALID_MANIFEST',
      `${source}: field "triggers.queue.routingKey" needs "triggers.queue.exchange"`,
    );
  }
  const { batchSize, maxWaitMs, maxRetries, retryDelaySeconds, concurrency } =
    input as QueueTrigger;
  return {
    queue: input.queue ?? fnName,
    ...(input.exchange === undefined
      ? {}
      : { exchange: input.exchange, routingKey: input.routingKey ?? DEFAULT_ROUTING_KEY }),
    batchSize,
    maxWaitMs,
    maxRetries,
    retryDelaySeconds,
    concurrency,
  };
}
