import type { Subscription } from '../../core/broker.ts';
import type { Lease } from './lease.ts';

/** Handles one delivery; a throw is logged and the message requeued after a delay. */
export type LeaseHandler = (lease: Lease<unknown>) => Promise<void>;

/** A consumer of one queue on this instance. */
export interface Consumer {
  readonly queue: string;
  readonly prefetch: number;
  readonly handler: LeaseHandler;
  /** Deliveries handed to the handler and not yet acked or requeued. */
  unsettled: number;
}

/** This instance's consumers, by queue. */
export class ConsumerSet {
  readonly #byQueue = new Map<string, Consumer[]>();

  /** Adds a consumer; cancelling the subscription removes it (its deliveries stay valid). */
  add(queue: string, prefetch: number, handler: LeaseHandler): Subscription {
    const consumer: Consumer = { queue, prefetch, handler, unsettled: 0 };
    const list = this.#byQueue.get(queue) ?? [];
    list.push(consumer);
    this.#byQueue.set(queue, list);
    return {
      cancel: async () => {
        const current = this.#byQueue.get(queue);
        const index = current?.indexOf(consumer) ?? -1;
        if (current === undefined || index < 0) return;
        current.splice(index, 1);
        if (current.length === 0) this.#byQueue.delete(queue);
      },
    };
  }

  get(queue: string): readonly Consumer[] | undefined {
    return this.#byQueue.get(queue);
  }

  queues(): Iterable<string> {
    return this.#byQueue.keys();
  }

  clear(): void {
    this.#byQueue.clear();
  }
}

/** How many more deliveries the consumers of a queue may take now. */
export function freeSlots(consumers: readonly Consumer[]): number {
  let free = 0;
  for (const c of consumers) free += Math.max(0, c.prefetch - c.unsettled);
  return free;
}

/**
 * Gives `item` to the consumer with room and the fewest unsettled deliveries, spreading work
 * over the consumers of a queue. Callers take at most {@link freeSlots} items, so one has room.
 */
export function assign<Item>(
  consumers: readonly Consumer[],
  item: Item,
  out: [Consumer, Item][],
): void {
  let best: Consumer | undefined;
  for (const c of consumers) {
    if (c.unsettled < c.prefetch && (best === undefined || c.unsettled < best.unsettled)) best = c;
  }
  if (best === undefined) throw new Error('assign() called without a free slot');
  best.unsettled++;
  out.push([best, item]);
}
