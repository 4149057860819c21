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
import type { Logger } from '../../core/logger.ts';
import type { DeadLetter } from '../../core/messages.ts';
import type { ConnectionManager } from './connection-manager.ts';
import type { DeclaredTopology } from './declared-topology.ts';
import { tierFor } from './delay-tiers.ts';
import { amqpCode, toFjordError } from './codec.ts';
import { ManagedConsumer } from './managed-consumer.ts';
import type { ConfirmPublisher } from './publisher.ts';
import { retryKey, type QueueDeclarations } from './queue-declarations.ts';
import {
  HOPS_HEADER,
  MESSAGE_ID_HEADER,
  TIMESTAMP_HEADER,
  readQueueMessage,
  retryHeaders,
} from './queue-message.ts';
import { DELAY_HEADER } from './topology.ts';

export interface RabbitQueueTriggersOptions {
  manager: ConnectionManager;
  topology: DeclaredTopology;
  publisher: ConfirmPublisher;
  /** Publishes a dead letter durably (the broker's dead-letters queue). */
  deadLetter(letter: DeadLetter): Promise<void>;
  declarations: QueueDeclarations;
  logger: Logger;
}

/**
 * Queue triggers on RabbitMQ: queues and bindings as QueueDeclarations declares them, consumed
 * with manual acks on a managed consumer.
 *
 * Retries travel as the invocations' do: a copy goes through the delay tier of its delay and
 * comes back through the retries exchange, routed by `queue:NAME` (function names have no
 * colon, so the keys never meet), with Fjord's attempt count in a header.
 */
export class RabbitQueueTriggers implements QueueTriggers {
  readonly #options: RabbitQueueTriggersOptions;
  readonly #log: Logger;

  constructor(options: RabbitQueueTriggersOptions) {
    this.#options = options;
    this.#log = options.logger.child({ part: 'queue-triggers' });
  }

  async declare(binding: QueueBinding): Promise<void> {
    await this.#options.declarations.declare(this.#options.manager.session, binding);
  }

  async consume(
    binding: QueueBinding,
    prefetch: number,
    handler: (delivery: QueueDelivery) => void,
  ): Promise<Subscription> {
    assertPrefetch(prefetch);
    const { manager } = this.#options;
    const consumer = new ManagedConsumer(
      {
        label: `queue ${binding.queue} of ${binding.fn}`,
        noAck: false,
        prefetch,
        // Declared before (and on every new connection, by QueueDeclarations).
        prepare: async () => binding.queue,
        onMessage: (raw, settle) => {
          const message = readQueueMessage(raw, Date.now());
          handler({
            message,
            ack: () => settle('ack'),
            requeue: () => settle('requeue'),
            retry: async (delayMs) => {
              await this.#retry(binding.queue, retryHeaders(message), message, delayMs);
              settle('ack');
            },
            deadLetter: async (letter) => {
              await this.#options.deadLetter(letter);
              settle('ack');
            },
          });
        },
      },
      manager,
      this.#log,
    );
    return consumer.start();
  }

  async publish(queue: string, message: OutgoingQueueMessage): Promise<string> {
    if (this.#options.declarations.reserved(queue)) {
      throw new FjordError('FORBIDDEN', `"${queue}" is one of Fjord's own queues`);
    }
    return this.#publish('', queue, message, `no queue named "${queue}"`);
  }

  async publishToExchange(
    exchange: string,
    routingKey: string,
    message: OutgoingQueueMessage,
  ): Promise<string> {
    if (this.#options.declarations.reserved(exchange)) {
      throw new FjordError('FORBIDDEN', `"${exchange}" is one of Fjord's own exchanges`);
    }
    // A publish to a missing exchange would close the shared publisher's channel: ask first, on
    // a channel of its own.
    await this.#options.manager.session
      .withChannel('declare', (channel) => channel.checkExchange(exchange))
      .catch((error: unknown) => {
        if (amqpCode(error) !== 404) throw toFjordError(error, 'could not check the exchange');
        throw new FjordError('EXCHANGE_NOT_FOUND', `no exchange named "${exchange}"`);
      });
    const unroutable = `no queue is bound to exchange "${exchange}" by a key matching "${routingKey}"`;
    return this.#publish(exchange, routingKey, message, unroutable);
  }

  async #publish(
    exchange: string,
    routingKey: string,
    message: OutgoingQueueMessage,
    unroutable: string,
  ): Promise<string> {
    const id = randomUUID();
    await this.#options.publisher.publish(exchange, routingKey, Buffer.from(message.body), {
      persistent: true,
      type: 'message',
      ...(message.contentType === undefined ? {} : { contentType: message.contentType }),
      headers: {
        ...message.headers,
        [MESSAGE_ID_HEADER]: id,
        [TIMESTAMP_HEADER]: String(Date.now()),
        ...(message.hops === undefined ? {} : { [HOPS_HEADER]: String(message.hops) }),
      },
      unroutable: () => new FjordError('QUEUE_NOT_FOUND', unroutable),
    });
    return id;
  }

  async #retry(
    queue: string,
    headers: Record<string, string>,
    message: { body: Uint8Array; contentType?: string },
    delayMs: number,
  ): Promise<void> {
    const { publisher, topology, manager } = this.#options;
    const body = Buffer.from(message.body);
    const common = {
      persistent: true,
      type: 'retry',
      ...(message.contentType === undefined ? {} : { contentType: message.contentType }),
    };
    if (delayMs <= 0) {
      await publisher.publish(topology.names.retries, retryKey(queue), body, {
        ...common,
        headers,
        unroutable: () => new FjordError('QUEUE_NOT_FOUND', `queue "${queue}" is gone`),
      });
      return;
    }
    const tier = tierFor(delayMs);
    await topology.ensureTier(manager.session, tier);
    await publisher.publish(topology.names.delay, retryKey(queue), body, {
      ...common,
      headers: { ...headers, [DELAY_HEADER]: String(tier) },
      unroutable: () =>
        new FjordError(
          'BROKER_UNAVAILABLE',
          `delay queue ${topology.names.delayQueue(tier)} is gone`,
        ),
    });
  }
}
