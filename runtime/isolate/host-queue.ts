/**
 * `ctx.queues.send/sendBatch` of fetch and event handlers, on the host: the isolate asks, the
 * host checks the messages (they come from user code) and hands them to the node's publisher,
 * so `await send()` resolves once the broker has the message and rejects with the reason when
 * it does not. Queue handlers collect their sends instead (runtime/queue-batch-run.ts), because
 * those must be published before the batch's messages are settled and carry the batch's hops.
 */
import { isFjordError } from '../../core/errors.ts';
import type { QueueSend } from '../../core/messages.ts';
import { isRecord } from '../reply-checks.ts';
import { HostCallError, type HostOperation } from './host-calls.ts';
import type { HostErrorCode } from './protocol.ts';

/** Publishes sends in order; rejects with a FjordError (QUEUE_NOT_FOUND, BROKER_UNAVAILABLE...). */
export type QueuePublisher = (sends: readonly QueueSend[]) => Promise<void>;

/** Messages one invocation may send, as for queue handlers (prelude/queue-sender.ts). */
export const MAX_QUEUE_SENDS = 1000;

const PASSED_ON: ReadonlySet<string> = new Set<HostErrorCode>([
  'QUEUE_NOT_FOUND',
  'QUEUE_LOOP_DETECTED',
  'EXCHANGE_NOT_FOUND',
  'BROKER_UNAVAILABLE',
]);

function isBody(value: unknown): value is QueueSend['body'] {
  if (!isRecord(value)) return false;
  const keys = Object.keys(value);
  if (keys.length !== 1) return false;
  if ('json' in value) return true;
  if ('text' in value) return typeof value.text === 'string';
  return typeof value.base64 === 'string';
}

/** A message for a queue (a name), or for an exchange (a name and a routing key, no queue). */
function isSend(value: unknown): value is QueueSend {
  if (!isRecord(value) || typeof value.queue !== 'string') return false;
  const target =
    value.exchange === undefined
      ? value.queue !== '' && value.routingKey === undefined
      : typeof value.exchange === 'string' &&
        value.exchange !== '' &&
        typeof value.routingKey === 'string' &&
        value.queue === '';
  return target && typeof value.contentType === 'string' && isBody(value.body);
}

/** The `queue` host call; without a publisher (a node without queues) every send fails. */
export function queueOperation(publish: QueuePublisher | undefined): HostOperation {
  return async (args, scope) => {
    const sends = isRecord(args) ? args.sends : undefined;
    if (!Array.isArray(sends) || sends.length === 0 || !sends.every(isSend)) {
      throw new HostCallError('TypeError', 'queues.send: malformed messages');
    }
    if (scope.queueSends + sends.length > MAX_QUEUE_SENDS) {
      throw new RangeError(`queues.send: at most ${MAX_QUEUE_SENDS} messages per invocation`);
    }
    scope.queueSends += sends.length;
    if (publish === undefined) {
      throw new HostCallError(
        'Error',
        'queues.send: this node publishes into no queues (its broker has none)',
        'QUEUE_NOT_FOUND',
      );
    }
    try {
      await publish(sends);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const code = isFjordError(error) && PASSED_ON.has(error.code) ? error.code : undefined;
      throw new HostCallError(
        'Error',
        message,
        (code as HostErrorCode | undefined) ?? 'BROKER_UNAVAILABLE',
      );
    }
  };
}
