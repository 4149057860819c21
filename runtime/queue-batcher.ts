/**
 * Groups deliveries into batches: a batch runs when it has `batchSize` items or its first item
 * has waited `maxWaitMs`, and at most `concurrency` batches run at once (a sealed batch waits for
 * a slot). The consumer's prefetch (batchSize x concurrency) bounds what can pile up here.
 */
export interface QueueBatcherOptions<T> {
  batchSize: number;
  maxWaitMs: number;
  concurrency: number;
  /** Runs one batch; must not reject (a rejection is reported to `onError`). */
  run(batch: T[]): Promise<void>;
  onError(error: unknown): void;
}

/**
 * - `open`: taking items.
 * - `stopped`: stop() called; items not yet running were handed back.
 */
export type BatcherState = 'open' | 'stopped';

export class QueueBatcher<T> {
  readonly #options: QueueBatcherOptions<T>;
  #state: BatcherState = 'open';
  #filling: T[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #sealed: T[][] = [];
  readonly #running = new Set<Promise<void>>();

  constructor(options: QueueBatcherOptions<T>) {
    this.#options = options;
  }

  get state(): BatcherState {
    return this.#state;
  }

  /** Batches running now. */
  get running(): number {
    return this.#running.size;
  }

  add(item: T): void {
    if (this.#state !== 'open') throw new Error('batcher is stopped');
    this.#filling.push(item);
    if (this.#filling.length >= this.#options.batchSize) this.#seal();
    else if (this.#filling.length === 1) {
      this.#timer = setTimeout(() => this.#seal(), this.#options.maxWaitMs);
    }
  }

  /**
   * Stops taking items and returns those not running yet (the caller puts them back); resolves
   * once every running batch has finished.
   */
  async stop(): Promise<T[]> {
    this.#state = 'stopped';
    clearTimeout(this.#timer);
    const left = [...this.#sealed.flat(), ...this.#filling];
    this.#sealed.length = 0;
    this.#filling = [];
    await Promise.allSettled([...this.#running]);
    return left;
  }

  #seal(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#filling.length === 0) return;
    this.#sealed.push(this.#filling);
    this.#filling = [];
    this.#pump();
  }

  #pump(): void {
    while (this.#state === 'open' && this.#running.size < this.#options.concurrency) {
      const batch = this.#sealed.shift();
      if (batch === undefined) return;
      const work = this.#options.run(batch).catch((error: unknown) => this.#options.onError(error));
      this.#running.add(work);
      void work.finally(() => {
        this.#running.delete(work);
        this.#pump();
      });
    }
  }
}
