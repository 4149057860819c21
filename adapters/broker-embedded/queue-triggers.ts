import { randomUUID } from 'node:crypto';
import type {
  OutgoingQueueMessage,
  QueueBinding,
  QueueDelivery,
  QueueTriggers,
  Subscription,
} from '../../core/broker.ts';
import { assertPrefetch } from '../../core/broker.ts';
import { FjordError } from '../../core/errors.ts';
import type { DeadLetter } from '../../core/messages.ts';
import type { Dispatcher } from './dispatcher.ts';
import { bindingMatches, exchangeTypeOf } from './exchange-routing.ts';
import type { Lease } from './lease.ts';

/** A queue message as a row holds it. */
interface StoredMessage {
  id: string;
  timestamp: number;
  contentType?: string;
  /** base64. */
  body: string;
  headers: Record<string, string>;
  /** Absent: 0. */
  hops?: number;
}

export interface EmbeddedQueueTriggersOptions {
  /** The live dispatcher; throws BROKER_UNAVAILABLE when the broker is not up. */
  dispatcher(): Dispatcher;
  /** Inserts a dead letter into the broker's dead-letters queue; resolves once committed. */
  deadLetter(letter: DeadLetter): Promise<void>;
  now(): number;
}

/**
 * Queue triggers on the embedded broker: a trigger's queue is rows under `queue:NAME` (function
 * names have no colon, so no function queue can collide), published through the gateway's
 * `POST /v1/queues/NAME/messages`. A retry releases the row with a later not-before time, so its
 * delivery count goes on and the next delivery is the next attempt, as for invocations.
 *
 * Exchanges exist as the bindings of triggers: a publish to an exchange goes into every queue
 * bound to it by a key that matches, once per queue, with RabbitMQ's rules (exchange-routing.ts).
 * Declared queues and bindings live in memory: the gateway declares at deploy, every node when it
 * follows the function. As on RabbitMQ, a binding stays when the function changes its key.
 */
export class EmbeddedQueueTriggers implements QueueTriggers {
  readonly #options: EmbeddedQueueTriggersOptions;
  readonly #declared = new Set<string>();
  /** Binding keys by exchange, then by queue. */
  readonly #bindings = new Map<string, Map<string, Set<string>>>();

  constructor(options: EmbeddedQueueTriggersOptions) {
    this.#options = options;
  }

  async declare(binding: QueueBinding): Promise<void> {
    this.#options.dispatcher();
    this.#remember(binding);
  }

  async consume(
    binding: QueueBinding,
    prefetch: number,
    handler: (delivery: QueueDelivery) => void,
  ): Promise<Subscription> {
    assertPrefetch(prefetch);
    const dispatcher = this.#options.dispatcher();
    this.#remember(binding);
    return dispatcher.subscribe(rowQueue(binding.queue), prefetch, async (lease) => {
      handler(this.#delivery(lease));
    });
  }

  async publish(queue: string, message: OutgoingQueueMessage): Promise<string> {
    const dispatcher = this.#options.dispatcher();
    if (!this.#declared.has(queue)) {
      throw new FjordError('QUEUE_NOT_FOUND', `no queue named "${queue}"`);
    }
    return this.#insert(dispatcher, [queue], message);
  }

  async publishToExchange(
    exchange: string,
    routingKey: string,
    message: OutgoingQueueMessage,
  ): Promise<string> {
    const dispatcher = this.#options.dispatcher();
    const bound = this.#bindings.get(exchange);
    if (bound === undefined) {
      throw new FjordError('EXCHANGE_NOT_FOUND', `no queue is bound to exchange "${exchange}"`);
    }
    const type = exchangeTypeOf(exchange);
    const queues = [...bound]
      .filter(([, keys]) => [...keys].some((key) => bindingMatches(type, key, routingKey)))
      .map(([queue]) => queue);
    if (queues.length === 0) {
      throw new FjordError(
        'QUEUE_NOT_FOUND',
        `no queue is bound to exchange "${exchange}" by a key matching "${routingKey}"`,
      );
    }
    return this.#insert(dispatcher, queues, message);
  }

  #remember(binding: QueueBinding): void {
    this.#declared.add(binding.queue);
    if (binding.exchange === undefined) return;
    let bound = this.#bindings.get(binding.exchange);
    if (bound === undefined)
      this.#bindings.set(binding.exchange, (bound = new Map<string, Set<string>>()));
    let keys = bound.get(binding.queue);
    if (keys === undefined) bound.set(binding.queue, (keys = new Set<string>()));
    keys.add(binding.routingKey ?? '#');
  }

  /** Inserts one copy per queue, all with one id (as RabbitMQ routes one message to several). */
  async #insert(
    dispatcher: Dispatcher,
    queues: readonly string[],
    message: OutgoingQueueMessage,
  ): Promise<string> {
    const id = randomUUID();
    const stored: StoredMessage = {
      id,
      timestamp: this.#options.now(),
      ...(message.contentType === undefined ? {} : { contentType: message.contentType }),
      body: Buffer.from(message.body).toString('base64'),
      headers: message.headers ?? {},
      ...(message.hops === undefined ? {} : { hops: message.hops }),
    };
    const payload = JSON.stringify(stored);
    await Promise.all(queues.map((queue) => dispatcher.insert(rowQueue(queue), id, payload)));
    return id;
  }

  #delivery(lease: Lease<unknown>): QueueDelivery {
    const stored = lease.payload as StoredMessage;
    return {
      message: {
        id: stored.id,
        timestamp: stored.timestamp,
        ...(stored.contentType === undefined ? {} : { contentType: stored.contentType }),
        body: Buffer.from(stored.body, 'base64'),
        headers: stored.headers,
        attempts: lease.attempt,
        hops: stored.hops ?? 0,
      },
      ack: () => lease.ack(),
      requeue: () => lease.requeue(),
      retry: (delayMs) => lease.retry(Math.max(0, delayMs)),
      deadLetter: async (letter) => {
        // The ack only once the letter is durable: a crash in between redelivers the message.
        await this.#options.deadLetter(letter);
        lease.ack();
      },
    };
  }
}

/** The rows of a trigger's queue. */
function rowQueue(queue: string): string {
  return `queue:${queue}`;
}
