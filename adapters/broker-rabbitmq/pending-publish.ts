import type { ConfirmChannel } from 'amqplib';
import type { FjordError } from '../../core/errors.ts';
import { unavailable } from './codec.ts';
import type { PublishOptions } from './publisher.ts';

/**
 * One publish awaiting its confirm: a record rather than the closures and the timer each publish
 * used to make (the confirm timeout is one timer for all of them).
 */
export interface Pending {
  readonly id: string;
  readonly exchange: string;
  readonly routingKey: string;
  readonly body: Buffer;
  readonly options: PublishOptions;
  /** The channel it was first sent on: replaced when the confirm does not come in time. */
  readonly channel: ConfirmChannel;
  /** When (performance.now()) it fails unless confirmed. */
  readonly deadline: number;
  readonly resolve: () => void;
  readonly reject: (error: FjordError) => void;
  /** The wait before it is sent again after a nack. */
  retry: NodeJS.Timeout | undefined;
  retryDelayMs: number;
}

/** The error of a publish refused while RabbitMQ blocks the connection (a resource alarm). */
export function blockedError(blockedBy: string): FjordError {
  return unavailable(`RabbitMQ blocks publishing: ${blockedBy}`);
}

/** amqplib's confirm callback error for a basic.nack (a closed channel gives another). */
export function isNack(error: unknown): boolean {
  return error instanceof Error && error.message === 'message nacked';
}
