import type { Logger } from '../../core/logger.ts';
import type { Store } from '../../core/store.ts';
import type { EventHub } from '../events.ts';
import type { QueueDepths } from '../queue-depths.ts';
import type { QueueCounts } from './wire.ts';

export interface QueueFeedOptions {
  events: EventHub;
  depths: QueueDepths;
  store: Store;
  logger: Logger;
  /** How often the counts are looked at while someone follows the events. */
  intervalMs: number;
}

/**
 * Publishes every function's queue depth and dead-letter count as a `queues` event whenever
 * they changed, so an open dashboard follows them live. It looks only while the event stream
 * has subscribers, and takes the depths from the sample shared with load shedding and /metrics:
 * open dashboards add no broker calls per page, one store read per interval per gateway.
 */
export class QueueFeed {
  readonly #options: QueueFeedOptions;
  /** Subscribers the gateway holds itself (its recent-invocations list): no page is watching. */
  readonly #own: number;
  #timer: NodeJS.Timeout | undefined;
  #last = '';
  #busy = false;

  /** Made once the gateway's own subscribers have subscribed: those it counts as nobody. */
  constructor(options: QueueFeedOptions) {
    this.#options = options;
    this.#own = options.events.subscribers;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.#tick(), this.#options.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #tick(): Promise<void> {
    const { events, depths, store, logger } = this.#options;
    if (events.subscribers <= this.#own) {
      // A page that subscribes later loads the overview first: it needs no repeat of old counts.
      this.#last = '';
      return;
    }
    if (this.#busy) return;
    this.#busy = true;
    try {
      const sample = await depths.current().catch(() => depths.last);
      const names = (await store.listFunctions()).map((record) => record.name);
      const dead = await Promise.all(names.map((name) => store.countDeadLetters(name)));
      const functions: QueueCounts[] = names.map((name, i) => {
        const queued = sample?.byFunction.get(name);
        return { name, deadLetters: dead[i] ?? 0, ...(queued === undefined ? {} : { queued }) };
      });
      const key = JSON.stringify(functions);
      if (key === this.#last || this.#timer === undefined) return;
      this.#last = key;
      events.publish({ type: 'queues', data: { functions } });
    } catch (error) {
      logger.warn({ err: error }, 'queue counts for the dashboard not read');
    } finally {
      this.#busy = false;
    }
  }
}
