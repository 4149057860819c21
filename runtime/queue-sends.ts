import type { Broker, QueueTriggers } from '../core/broker.ts';
import { FjordError, isFjordError, type ErrorData } from '../core/errors.ts';
import { MAX_QUEUE_HOPS, type QueueSend } from '../core/messages.ts';

function bytesOf(body: QueueSend['body']): Uint8Array {
  if ('json' in body) return Buffer.from(JSON.stringify(body.json), 'utf8');
  if ('text' in body) return Buffer.from(body.text, 'utf8');
  return Buffer.from(body.base64, 'base64');
}

/**
 * Publishes what a queue handler sent with ctx.queues, in order, each one hop further than the
 * furthest message of its batch. Resolves with the error that stopped it, or undefined: a chain
 * longer than MAX_QUEUE_HOPS is a loop (QUEUE_LOOP_DETECTED, and nothing is published), a queue
 * nobody declared is QUEUE_NOT_FOUND, a broker that cannot take it BROKER_UNAVAILABLE.
 */
export async function publishSends(
  queues: QueueTriggers,
  sends: readonly QueueSend[],
  batchHops: number,
): Promise<ErrorData | undefined> {
  if (sends.length === 0) return undefined;
  const hops = batchHops + 1;
  if (hops > MAX_QUEUE_HOPS) {
    return {
      code: 'QUEUE_LOOP_DETECTED',
      message: `queues.send from a message that passed through ${batchHops} queues already; the limit is ${MAX_QUEUE_HOPS} (a loop between queues?)`,
    };
  }
  for (const send of sends) {
    const message = { body: bytesOf(send.body), contentType: send.contentType, hops };
    try {
      if (send.exchange === undefined) await queues.publish(send.queue, message);
      else await queues.publishToExchange(send.exchange, send.routingKey ?? '', message);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const target =
        send.exchange === undefined
          ? `queues.send to "${send.queue}"`
          : `queues.publish to exchange "${send.exchange}" with key "${send.routingKey ?? ''}"`;
      return {
        code: isFjordError(error) ? error.code : 'BROKER_UNAVAILABLE',
        message: `${target} failed: ${reason}`,
      };
    }
  }
  return undefined;
}

/**
 * The publisher of fetch and event handlers' ctx.queues sends (runtime/isolate/host-queue.ts):
 * their messages start a chain, so they leave with one hop. Rejects with the FjordError that
 * stopped it.
 */
export function queuePublisher(broker: Broker): (sends: readonly QueueSend[]) => Promise<void> {
  return async (sends) => {
    const error =
      broker.queues === undefined
        ? { code: 'QUEUE_NOT_FOUND' as const, message: 'queues.send: this broker has no queues' }
        : await publishSends(broker.queues, sends, 0);
    if (error !== undefined) throw FjordError.from(error);
  };
}
