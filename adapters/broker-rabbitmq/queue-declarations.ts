import { FjordError } from '../../core/errors.ts';
import type { QueueBinding } from '../../core/broker.ts';
import type { Logger } from '../../core/logger.ts';
import { amqpCode, toFjordError } from './codec.ts';
import type { Participant } from './connection-manager.ts';
import type { Session } from './session.ts';
import type { Names } from './topology.ts';

/** The routing key a trigger queue's retries come back by, through the retries exchange. */
export function retryKey(queue: string): string {
  return `queue:${queue}`;
}

/**
 * The queues and bindings of queue triggers, declared again on every new connection (a core
 * participant, attached after the shared topology and before any consumer), as DeclaredTopology
 * does for function queues: a rebuilt broker gets them back before their consumers return.
 *
 * The queue is a durable quorum queue with the adapter's delivery limit (a message that crashes
 * its node every time is dropped by the broker in the end); one that already exists with other
 * arguments (a classic queue someone declared) is used as it is. An exchange that exists is used
 * as it is, whatever its type; a missing one is declared as a durable topic exchange.
 */
export class QueueDeclarations implements Participant {
  readonly #names: Names;
  readonly #prefix: string;
  readonly #deliveryLimit: number;
  readonly #log: Logger;
  /** Bindings declared through this instance, by queue, exchange and key. */
  readonly #bindings = new Map<string, QueueBinding>();

  constructor(options: { names: Names; prefix: string; deliveryLimit: number; logger: Logger }) {
    this.#names = options.names;
    this.#prefix = options.prefix;
    this.#deliveryLimit = options.deliveryLimit;
    this.#log = options.logger.child({ part: 'queue-declarations' });
  }

  /** True for a name of Fjord's own queues, which no trigger may consume or publish into. */
  reserved(queue: string): boolean {
    return queue.startsWith(`${this.#prefix}.`);
  }

  async attach(session: Session): Promise<void> {
    for (const binding of this.#bindings.values()) {
      // One bad binding (an exchange deleted meanwhile, say) must not keep everything down.
      await this.#declare(session, binding).catch((error: unknown) => {
        if (!session.alive) throw error;
        this.#log.error(
          { err: error, queue: binding.queue },
          'could not redeclare a trigger queue',
        );
      });
    }
  }

  detach(): void {}

  async shutdown(): Promise<void> {}

  async declare(session: Session, binding: QueueBinding): Promise<void> {
    if (this.reserved(binding.queue)) {
      throw new FjordError(
        'INVALID_MANIFEST',
        `field "triggers.queue.queue": "${binding.queue}" is one of Fjord's own queues (names starting with "${this.#prefix}.")`,
      );
    }
    await this.#declare(session, binding);
    const { queue, exchange = '', routingKey = '' } = binding;
    this.#bindings.set(JSON.stringify([queue, exchange, routingKey]), binding);
  }

  async #declare(session: Session, binding: QueueBinding): Promise<void> {
    const { queue, exchange, routingKey } = binding;
    try {
      await session
        .withChannel('declare', (channel) =>
          channel.assertQueue(queue, {
            durable: true,
            arguments: { 'x-queue-type': 'quorum', 'x-delivery-limit': this.#deliveryLimit },
          }),
        )
        .catch(async (error: unknown) => {
          if (amqpCode(error) !== 406) throw error;
          this.#log.warn({ queue }, 'queue exists with other arguments; consuming it as it is');
          await session.withChannel('declare', (channel) => channel.checkQueue(queue));
        });
      await session.withChannel('declare', async (channel) => {
        await channel.bindQueue(queue, this.#names.retries, retryKey(queue));
      });
      if (exchange === undefined) return;
      await session
        .withChannel('declare', (channel) => channel.checkExchange(exchange))
        .catch(async (error: unknown) => {
          if (amqpCode(error) !== 404) throw error;
          await session.withChannel('declare', (channel) =>
            channel.assertExchange(exchange, 'topic', { durable: true }),
          );
        });
      await session.withChannel('declare', (channel) =>
        channel.bindQueue(queue, exchange, routingKey ?? '#'),
      );
    } catch (error) {
      const conflict = amqpCode(error) === 406 || amqpCode(error) === 403;
      const bound = exchange === undefined ? '' : ` bound to exchange "${exchange}"`;
      throw toFjordError(
        error,
        `could not declare queue "${queue}"${bound}`,
        conflict ? 'CONFLICT' : 'BROKER_UNAVAILABLE',
      );
    }
  }
}
