/**
 * The gateway's live events, as `GET /v1/events` streams them (server-sent events: the `type`
 * is the SSE event name, the `data` its JSON) and the dashboard shows them.
 *
 * Each gateway publishes only what it saw itself: the invocations it accepted, cancelled or
 * redrove, the results and dead letters it recorded (every gateway consumes a share of them),
 * and the control announcements and heartbeats every gateway hears. Behind a load balancer, one event stream
 * therefore shows part of the invocations; the store has them all.
 */
import type { Logger } from '../core/logger.ts';
import type { GatewayEvent } from './dashboard/wire.ts';

export type { GatewayEvent, InvocationSummary, NodeSummary } from './dashboard/wire.ts';

/** An event with its position in this gateway's stream (the SSE `id`). */
export type SequencedEvent = GatewayEvent & { seq: number };

export type EventListener = (event: SequencedEvent) => void;

/**
 * Fans events out to the current subscribers, synchronously and in order. It keeps no history:
 * a subscriber sees what happens after it subscribed (the dashboard loads the present state
 * from `GET /v1/overview` first). One per gateway, passed to whoever publishes or listens.
 */
export class EventHub {
  /** Each subscription's listener, and what to call when the hub closes. */
  readonly #listeners = new Map<EventListener, (() => void) | undefined>();
  readonly #logger: Logger;
  #seq = 0;
  #closed = false;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** How many listeners are subscribed right now. */
  get subscribers(): number {
    return this.#listeners.size;
  }

  publish(event: GatewayEvent): void {
    const sequenced: SequencedEvent = { ...event, seq: ++this.#seq };
    for (const listener of this.#listeners.keys()) {
      // A failing listener must not cost the others their event, nor the publisher (a result
      // recorder) its acknowledgement.
      try {
        listener(sequenced);
      } catch (error) {
        this.#logger.warn({ err: error, event: event.type }, 'event listener failed');
      }
    }
  }

  /**
   * Adds a listener; returns the function that removes it (idempotent). `onClose` is called
   * when the hub closes, at once when it already has.
   */
  subscribe(listener: EventListener, onClose?: () => void): () => void {
    if (this.#closed) {
      onClose?.();
      return () => {};
    }
    // A wrapper, so the same function subscribed twice is two subscriptions.
    const entry: EventListener = (event) => listener(event);
    this.#listeners.set(entry, onClose);
    return () => this.#listeners.delete(entry);
  }

  /**
   * Ends every subscription and refuses new ones. Event streams never end by themselves, so
   * whoever shuts the HTTP server down closes the hub first, or the server waits for them.
   */
  close(): void {
    this.#closed = true;
    const closing = [...this.#listeners.values()];
    this.#listeners.clear();
    for (const onClose of closing) onClose?.();
  }
}
