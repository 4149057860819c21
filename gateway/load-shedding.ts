import type { Logger } from '../core/logger.ts';
import type { QueueDepths } from './queue-depths.ts';

export interface LoadShedderOptions {
  depths: QueueDepths;
  /** Invocations queued over all functions at which new ones are refused. */
  maxQueued: number;
  /** How often the depths are sampled. */
  sampleMs: number;
  logger: Logger;
}

/**
 * The global queue-length cap: once the functions' queues hold `maxQueued` invocations in all,
 * the gateway refuses new ones (503 OVERLOADED) until they drain below it, so a backlog grows
 * on the clients' side rather than in the broker's memory, and RabbitMQ never reaches its memory
 * alarm (which would block every publisher, results included).
 *
 * The depth is sampled every `sampleMs` from the broker, so every gateway sees the cluster's
 * queues; between samples, the invocations this gateway admitted are added to the last sample,
 * so a burst through one gateway cannot overshoot the cap by a whole interval's worth.
 */
export class LoadShedder {
  readonly #options: LoadShedderOptions;
  #timer: NodeJS.Timeout | undefined;
  /** Invocations admitted since the last sample started. */
  #admitted = 0;
  #shedding = false;

  constructor(options: LoadShedderOptions) {
    this.#options = options;
  }

  /** Seconds a refused client should wait: about when the next sample may let it in. */
  get retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(this.#options.sampleMs / 1000));
  }

  start(): void {
    if (this.#timer !== undefined) return;
    void this.#sample();
    this.#timer = setInterval(() => void this.#sample(), this.#options.sampleMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * True when the queues are full: the last sample plus what this gateway admitted since. Before
   * the first sample, or while sampling fails, the last known depth stands.
   */
  full(): boolean {
    return (this.#options.depths.last?.total ?? 0) + this.#admitted >= this.#options.maxQueued;
  }

  /** Counts an admitted invocation until the next sample sees it in a queue. */
  admitted(): void {
    this.#admitted++;
  }

  async #sample(): Promise<void> {
    const admittedBefore = this.#admitted;
    try {
      const { total } = await this.#options.depths.sample();
      // What was admitted while the sample ran may or may not be in it: keep counting it.
      this.#admitted -= admittedBefore;
      this.#note(total);
    } catch (error) {
      this.#options.logger.warn({ err: error }, 'queue depths not sampled; the last ones stand');
    }
  }

  #note(total: number): void {
    const shedding = total >= this.#options.maxQueued;
    if (shedding === this.#shedding) return;
    this.#shedding = shedding;
    const { logger, maxQueued } = this.#options;
    if (shedding) logger.warn({ queued: total, maxQueued }, 'queues full: shedding invocations');
    else logger.info({ queued: total, maxQueued }, 'queues below the cap: admitting invocations');
  }
}
