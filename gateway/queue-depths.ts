import type { Broker } from '../core/broker.ts';
import type { Store } from '../core/store.ts';

/** The invocations waiting in every function's queue at one moment. */
export interface DepthSample {
  /** Epoch ms the sample started. */
  at: number;
  byFunction: ReadonlyMap<string, number>;
  total: number;
}

export interface QueueDepthsOptions {
  store: Store;
  broker: Broker;
  now: () => number;
  /** A sample younger than this is reused instead of asking the broker again. */
  maxAgeMs: number;
}

/** Queues asked at once: enough to sample hundreds of functions quickly, few channels open. */
const PARALLEL = 8;

/**
 * Queue depths of every deployed function, read from the broker (Broker.queueDepth) and shared
 * by the load shedder, `/metrics` and `/v1/overview`. One sample runs at a time and serves
 * everyone who asks while it runs, so a burst of scrapes costs one round of broker calls.
 * The depths are the broker's, not this gateway's: several gateways see the same numbers.
 */
export class QueueDepths {
  readonly #options: QueueDepthsOptions;
  #last: DepthSample | undefined;
  #running: Promise<DepthSample> | undefined;

  constructor(options: QueueDepthsOptions) {
    this.#options = options;
  }

  /** The last sample taken, whatever its age; undefined before the first. */
  get last(): DepthSample | undefined {
    return this.#last;
  }

  /** A sample no older than `maxAgeMs`: the last one, or a new one. */
  current(): Promise<DepthSample> {
    const last = this.#last;
    if (last !== undefined && this.#options.now() - last.at < this.#options.maxAgeMs) {
      return Promise.resolve(last);
    }
    return this.sample();
  }

  /** Takes a new sample (or joins the one running). Rejects when the broker or store cannot tell. */
  sample(): Promise<DepthSample> {
    this.#running ??= this.#take().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #take(): Promise<DepthSample> {
    const { store, broker, now } = this.#options;
    const at = now();
    const names = (await store.listFunctions()).map((record) => record.name);
    const byFunction = new Map<string, number>();
    for (let i = 0; i < names.length; i += PARALLEL) {
      const batch = names.slice(i, i + PARALLEL);
      const depths = await Promise.all(batch.map((name) => broker.queueDepth(name)));
      batch.forEach((name, j) => byFunction.set(name, depths[j] ?? 0));
    }
    let total = 0;
    for (const depth of byFunction.values()) total += depth;
    this.#last = { at, byFunction, total };
    return this.#last;
  }
}
