import type { ConsumeMessage } from 'amqplib';
import { FjordError, isFjordError, type ErrorCode } from '../../core/errors.ts';

export const CONTENT_TYPE = 'application/json';

export function encode(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/** Parses a message body; throws on anything that is not JSON. */
export function decode(message: ConsumeMessage): unknown {
  return JSON.parse(message.content.toString('utf8'));
}

/**
 * 1 on first delivery, then one more per redelivery. Quorum queues add `x-delivery-count` to a
 * message once it has been returned, whether by a nack with requeue or by its channel or
 * connection closing (checked on RabbitMQ 3.10). The `redelivered` flag is the fallback for a
 * queue that does not count, so a redelivery is never reported as a first attempt.
 */
export function attemptOf(message: ConsumeMessage): number {
  const count: unknown = message.properties.headers?.['x-delivery-count'];
  const counted = typeof count === 'number' && Number.isFinite(count) ? count + 1 : 1;
  return message.fields.redelivered ? Math.max(2, counted) : counted;
}

/** The AMQP reply code of an amqplib error (404 NOT_FOUND, 406 PRECONDITION_FAILED, ...). */
export function amqpCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** Wraps whatever amqplib threw into the port's error, keeping FjordErrors as they are. */
export function toFjordError(
  error: unknown,
  message: string,
  code: ErrorCode = 'BROKER_UNAVAILABLE',
): FjordError {
  if (isFjordError(error)) return error;
  const detail = error instanceof Error ? `: ${error.message}` : '';
  return new FjordError(code, `${message}${detail}`, { cause: error });
}

export function unavailable(message: string): FjordError {
  return new FjordError('BROKER_UNAVAILABLE', message);
}
