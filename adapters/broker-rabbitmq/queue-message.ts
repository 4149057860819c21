import { randomUUID } from 'node:crypto';
import type { ConsumeMessage } from 'amqplib';
import type { QueueMessage } from '../../core/broker.ts';
import { attemptOf } from './codec.ts';

/**
 * Headers Fjord adds to the copy a retry publishes: the attempts before the copy, and the id
 * and timestamp of the original (the copy is a new AMQP message, with a message id of its own).
 */
export const ATTEMPTS_HEADER = 'x-fjord-attempts';
export const MESSAGE_ID_HEADER = 'x-fjord-message-id';
export const TIMESTAMP_HEADER = 'x-fjord-timestamp';
/** Queues the message went through from functions' sends (absent: 0, any other publisher). */
export const HOPS_HEADER = 'x-fjord-hops';

/** Headers RabbitMQ or Fjord set, which the function does not see. */
function internal(name: string): boolean {
  const lower = name.toLowerCase();
  return (
    lower.startsWith('x-fjord-') ||
    lower === 'x-delivery-count' ||
    lower === 'x-death' ||
    lower.startsWith('x-first-death-') ||
    lower.startsWith('x-last-death-')
  );
}

/** AMQP header values are typed (numbers, booleans, byte arrays, tables); functions get strings. */
function asString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

function numberHeader(headers: Record<string, unknown>, name: string): number | undefined {
  const value = Number(headers[name]);
  return Number.isFinite(value) && headers[name] !== undefined ? value : undefined;
}

/** Reads a delivery from a trigger's queue as the function sees it. */
export function readQueueMessage(raw: ConsumeMessage, now: number): QueueMessage {
  const { properties } = raw;
  const all = (properties.headers ?? {}) as Record<string, unknown>;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(all)) {
    if (!internal(name) && value !== undefined && value !== null) headers[name] = asString(value);
  }
  const ownId: unknown = all[MESSAGE_ID_HEADER];
  const publisherId: unknown = properties.messageId;
  // AMQP timestamps are seconds since the epoch.
  const stamped: unknown = properties.timestamp;
  const contentType: unknown = properties.contentType;
  return {
    id:
      typeof ownId === 'string'
        ? ownId
        : typeof publisherId === 'string' && publisherId !== ''
          ? publisherId
          : randomUUID(),
    timestamp:
      numberHeader(all, TIMESTAMP_HEADER) ??
      (typeof stamped === 'number' ? stamped * 1000 : undefined) ??
      now,
    ...(typeof contentType === 'string' ? { contentType } : {}),
    body: raw.content,
    headers,
    attempts: (numberHeader(all, ATTEMPTS_HEADER) ?? 0) + attemptOf(raw),
    hops: numberHeader(all, HOPS_HEADER) ?? 0,
  };
}

/** The headers of the copy a retry publishes: the publisher's, plus what Fjord keeps counting. */
export function retryHeaders(message: QueueMessage): Record<string, string> {
  return {
    ...message.headers,
    [ATTEMPTS_HEADER]: String(message.attempts),
    [MESSAGE_ID_HEADER]: message.id,
    [TIMESTAMP_HEADER]: String(message.timestamp),
    [HOPS_HEADER]: String(message.hops),
  };
}
