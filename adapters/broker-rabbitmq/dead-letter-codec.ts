import type { ConsumeMessage } from 'amqplib';
import type { DeadLetter, InvocationMessage } from '../../core/messages.ts';
import { decode } from './codec.ts';

/** The AMQP `type` of a dead letter a node published. */
export const DEAD_LETTER_TYPE = 'dead-letter';

/**
 * Reads the dead-letters queue. It holds what nodes gave up on, and also retries that expired
 * while their function had no queue (deleted meanwhile): RabbitMQ routes those here through the
 * retries exchange's alternate exchange, as the invocation message itself. Those become dead
 * letters of the broker, so a retry is never silently lost nor kept forever.
 */
export function parseDeadLetter(raw: ConsumeMessage, now: number): DeadLetter {
  const value = decode(raw) as Partial<DeadLetter> & Partial<InvocationMessage>;
  if (raw.properties.type === DEAD_LETTER_TYPE) {
    if (typeof value.message?.id !== 'string' || typeof value.error?.code !== 'string') {
      throw new Error('not a dead letter');
    }
    return value as DeadLetter;
  }
  if (typeof value.id !== 'string' || typeof value.fn?.name !== 'string') {
    throw new Error('neither a dead letter nor an invocation message');
  }
  const message = value as InvocationMessage;
  return {
    message,
    attempt: (message.priorAttempts ?? 0) + 1,
    error: {
      code: 'FUNCTION_NOT_FOUND',
      message: `function "${message.fn.name}" had no queue when its retry was due`,
    },
    node: 'broker',
    deadAt: now,
    ran: false,
  };
}
