import type { Logger } from '../../core/logger.ts';
import { amqpCode, toFjordError } from './codec.ts';
import type { Participant } from './connection-manager.ts';
import type { Session } from './session.ts';
import {
  declareDelayTier,
  declareFunctionQueue,
  declareShared,
  declareSyncQueue,
  type Names,
} from './topology.ts';

/**
 * The exchanges and queues this instance relies on, declared again on every new connection (a
 * restarted single-node broker keeps durable ones, but a new or rebuilt one does not).
 */
export class DeclaredTopology implements Participant {
  readonly names: Names;
  readonly #deliveryLimit: number;
  readonly #log: Logger;
  /** Functions declared through this instance and not deleted since. */
  readonly #functions = new Set<string>();
  /** Delay tiers declared on the current connection, by milliseconds. */
  readonly #tiers = new Set<number>();

  constructor(options: { names: Names; deliveryLimit: number; logger: Logger }) {
    this.names = options.names;
    this.#deliveryLimit = options.deliveryLimit;
    this.#log = options.logger.child({ part: 'topology' });
  }

  async attach(session: Session): Promise<void> {
    await session.withChannel('topology', (channel) => declareShared(channel, this.names));
    for (const fn of this.#functions) {
      // One bad queue (declared elsewhere with other arguments) must not keep everything down.
      await this.#declare(session, fn).catch((error: unknown) => {
        if (!session.alive) throw error;
        this.#log.error({ err: error, fn }, 'could not redeclare the function queue');
      });
    }
  }

  detach(): void {
    // A new connection may be to a rebuilt broker: declare tiers again when next used.
    this.#tiers.clear();
  }

  async shutdown(): Promise<void> {}

  async declareFunction(session: Session, fn: string): Promise<void> {
    await this.#declare(session, fn);
    this.#functions.add(fn);
  }

  async deleteFunction(session: Session, fn: string): Promise<void> {
    this.#functions.delete(fn);
    const queue = this.names.functionQueue(fn);
    try {
      // Deleting a quorum queue drops ready and unacked messages alike; consumers get cancelled.
      // The quorum queue goes first: a sync consumer cancelled by the second delete looks for it
      // before it declares its queue again (see RabbitMqBroker.consume). Deleting a missing
      // queue (a function declared before sync queues existed) is no error.
      await session.withChannel('delete', async (channel) => {
        await channel.deleteQueue(queue);
        await channel.deleteQueue(this.names.syncQueue(fn));
      });
    } catch (error) {
      throw toFjordError(error, `could not delete queue ${queue}`);
    }
  }

  /** Declares the delay tier of `ms` unless this connection did already. */
  async ensureTier(session: Session, ms: number): Promise<void> {
    if (this.#tiers.has(ms)) return;
    try {
      await session.withChannel('declare', (channel) => declareDelayTier(channel, this.names, ms));
    } catch (error) {
      const conflict = amqpCode(error) === 406;
      const queue = this.names.delayQueue(ms);
      const what = conflict
        ? `queue ${queue} exists with other arguments`
        : `could not declare ${queue}`;
      throw toFjordError(error, what, conflict ? 'CONFLICT' : 'BROKER_UNAVAILABLE');
    }
    this.#tiers.add(ms);
  }

  async #declare(session: Session, fn: string): Promise<void> {
    try {
      await session.withChannel('declare', async (channel) => {
        await declareFunctionQueue(channel, this.names, fn, this.#deliveryLimit);
        await declareSyncQueue(channel, this.names, fn);
      });
    } catch (error) {
      const conflict = amqpCode(error) === 406;
      const what = conflict
        ? `queue ${this.names.functionQueue(fn)} exists with other arguments`
        : `could not declare the queue of "${fn}"`;
      throw toFjordError(error, what, conflict ? 'CONFLICT' : 'BROKER_UNAVAILABLE');
    }
  }
}
