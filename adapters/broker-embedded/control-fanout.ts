import type { Subscription } from '../../core/broker.ts';
import type { Logger } from '../../core/logger.ts';
import type { ControlEvent } from '../../core/messages.ts';

type ControlHandler = (event: ControlEvent) => void;

/**
 * The control "fanout exchange" of one instance: in-process and not durable, as the port asks.
 * Each subscriber gets its own copy (as from a real exchange), in a microtask, so announce()
 * never runs a handler inside its caller's stack and one throwing handler cannot starve the
 * others. Instances sharing a file do not hear each other: the embedded broker serves one
 * process, which holds one instance.
 */
export class ControlFanout {
  readonly #handlers = new Set<ControlHandler>();
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  subscribe(handler: ControlHandler): Subscription {
    // A wrapper, so subscribing the same function twice gives two independent subscriptions.
    const entry: ControlHandler = (event) => handler(event);
    this.#handlers.add(entry);
    return {
      cancel: async () => {
        this.#handlers.delete(entry);
      },
    };
  }

  /** Delivers to everyone subscribed right now. */
  publish(event: ControlEvent): void {
    for (const handler of [...this.#handlers]) {
      const copy = structuredClone(event);
      queueMicrotask(() => {
        // Cancelled between publish and delivery: like a cancelled AMQP consumer, gets nothing.
        if (!this.#handlers.has(handler)) return;
        try {
          handler(copy);
        } catch (error) {
          this.#logger.error({ err: error, type: event.type }, 'control handler threw');
        }
      });
    }
  }

  clear(): void {
    this.#handlers.clear();
  }
}
