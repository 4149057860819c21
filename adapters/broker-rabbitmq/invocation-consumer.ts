import type { Channel, MessageProperties } from 'amqplib';
import type { InvocationDelivery, InvocationHandler } from '../../core/broker.ts';
import type { Logger } from '../../core/logger.ts';
import type { DeadLetter, InvocationMessage, InvocationResult } from '../../core/messages.ts';
import { attemptOf, decode } from './codec.ts';
import type { ConsumerSpec, Settle } from './managed-consumer.ts';

export interface InvocationConsumerOptions {
  fn: string;
  /** Shown in logs beside the function's name ("sync" for its sync queue). */
  label?: string;
  /** The queue consumed; `prepare`, when given, declares or checks it first. */
  queue: string;
  prepare?: (channel: Channel) => Promise<void>;
  /** See ConsumerSpec.reopenOnCancel. */
  reopenOnCancel?: boolean;
  prefetch: number;
  handler: InvocationHandler;
  /** Sends a sync invocation's result to the caller's reply-to address. */
  reply(replyTo: string, correlationId: string, result: InvocationResult): Promise<void>;
  /** Durably publishes a copy of `message` for attempt `attempt + 1`, due in `delayMs`. */
  retry(message: InvocationMessage, attempt: number, delayMs: number): Promise<void>;
  /** Durably publishes a dead letter. */
  deadLetter(letter: DeadLetter): Promise<void>;
  logger: Logger;
  now?: () => number;
}

/**
 * Consumes a function's queue with manual acks: the handler settles each delivery itself
 * (acks-late); a handler that throws gets its delivery requeued. A retry or a dead letter is a
 * new message, published and confirmed before the delivery it replaces is acked.
 */
export function invocationConsumer(options: InvocationConsumerOptions): ConsumerSpec {
  const { handler, logger: log } = options;
  const now = options.now ?? Date.now;
  return {
    label: `function ${options.fn}${options.label === undefined ? '' : ` (${options.label})`}`,
    noAck: false,
    prefetch: options.prefetch,
    ...(options.reopenOnCancel === undefined ? {} : { reopenOnCancel: options.reopenOnCancel }),
    prepare: async (channel) => {
      await options.prepare?.(channel);
      return options.queue;
    },
    onMessage(raw, settle) {
      let message: InvocationMessage;
      try {
        message = parseInvocation(decode(raw));
      } catch (error) {
        log.error({ err: error, fn: options.fn }, 'undecodable invocation dropped');
        settle('reject');
        return;
      }
      // The broker drops an expired sync request only while it waits in the queue; one that
      // expired in flight (prefetched, or requeued late) must not run either.
      if (message.replyBy !== undefined && now() >= message.replyBy) {
        log.debug({ id: message.id, fn: options.fn }, 'expired sync invocation dropped');
        settle('ack');
        return;
      }
      // A retried or redriven copy starts its own delivery count where the previous copy ended.
      const attempt = (message.priorAttempts ?? 0) + attemptOf(raw);
      const delivery = new ConsumedDelivery(message, attempt, raw.properties, settle, options);
      const failed = (error: unknown): void => {
        log.error({ err: error, id: message.id, fn: options.fn }, 'handler threw; requeueing');
        settle('requeue');
      };
      try {
        handler(delivery).catch(failed);
      } catch (error) {
        failed(error);
      }
    },
  };
}

function parseInvocation(value: unknown): InvocationMessage {
  const message = value as Partial<InvocationMessage> | null;
  if (
    typeof message?.id !== 'string' ||
    typeof message.fn?.name !== 'string' ||
    typeof message.payload !== 'object'
  ) {
    throw new Error('not an invocation message');
  }
  return message as InvocationMessage;
}

/**
 * One delivery as the handler gets it: methods on a class rather than five closures made for
 * every message.
 */
class ConsumedDelivery implements InvocationDelivery {
  readonly message: InvocationMessage;
  readonly attempt: number;
  readonly #replyTo: unknown;
  readonly #correlationId: unknown;
  readonly #settle: Settle;
  readonly #options: InvocationConsumerOptions;

  constructor(
    message: InvocationMessage,
    attempt: number,
    properties: MessageProperties,
    settle: Settle,
    options: InvocationConsumerOptions,
  ) {
    this.message = message;
    this.attempt = attempt;
    this.#replyTo = properties.replyTo as unknown;
    this.#correlationId = properties.correlationId as unknown;
    this.#settle = settle;
    this.#options = options;
  }

  async reply(result: InvocationResult): Promise<void> {
    const replyTo = this.#replyTo;
    const correlationId = this.#correlationId;
    if (typeof replyTo !== 'string' || typeof correlationId !== 'string') return;
    await this.#options.reply(replyTo, correlationId, result);
  }

  ack(): void {
    this.#settle('ack');
  }

  requeue(): void {
    this.#settle('requeue');
  }

  async retry(delayMs: number): Promise<void> {
    await this.#options.retry(this.message, this.attempt, delayMs);
    this.#settle('ack');
  }

  async deadLetter(reason: Parameters<InvocationDelivery['deadLetter']>[0]): Promise<void> {
    const { message, attempt } = this;
    await this.#options.deadLetter({
      message,
      attempt,
      deadAt: (this.#options.now ?? Date.now)(),
      ...reason,
    });
    this.#settle('ack');
  }
}
