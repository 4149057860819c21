import type { Broker } from '../core/broker.ts';
import type { Logger } from '../core/logger.ts';
import type { InvocationResult, ResultEvent } from '../core/messages.ts';
import type { ResultRecorder } from './result-recorder.ts';

export interface SyncRecordBatchOptions {
  record: ResultRecorder;
  broker: Pick<Broker, 'publishResults'>;
  logger: Logger;
  /** How long the first result of a batch waits for others. */
  delayMs: number;
  /** A batch this large is written at once. */
  maxSize: number;
}

/**
 * The records of sync calls, written after their responses went out, several in one store
 * transaction: the first result of a batch waits `delayMs` for others. Written one by one right
 * after each response, a record's store write (about 0.1-0.3 ms of the event loop) ran just
 * when the caller's next request came in, at c=1 every time; batched, one write serves several
 * calls and most calls meet none. When the store fails, the batch goes to the durable results
 * queue, as a node's results would, and a gateway records it from there once the store is back.
 */
export class SyncRecordBatch {
  readonly #options: SyncRecordBatchOptions;
  #pending: ResultEvent[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #writing = new Set<Promise<void>>();

  constructor(options: SyncRecordBatchOptions) {
    this.#options = options;
  }

  add(result: InvocationResult): void {
    // Marked sync on the results queue too: the node may send a copy, and only one is counted.
    this.#pending.push({ type: 'finished', result, sync: true });
    if (this.#pending.length >= this.#options.maxSize) this.#flush();
    else this.#timer ??= setTimeout(() => this.#flush(), this.#options.delayMs);
  }

  /** Writes what waits now and resolves once every write so far is done (or failed). */
  async settle(): Promise<void> {
    this.#flush();
    await Promise.all(this.#writing);
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending;
    if (batch.length === 0) return;
    this.#pending = [];
    const { record, broker, logger } = this.#options;
    const ids = batch.map((event) => (event.type === 'finished' ? event.result.id : event.id));
    const writing = record(batch, 'reply')
      .catch(async (error: unknown) => {
        logger.warn({ err: error, ids }, 'sync results not recorded; queued for a later write');
        await broker.publishResults(batch);
      })
      .catch((error: unknown) => logger.warn({ err: error, ids }, 'sync results not recorded'))
      .finally(() => this.#writing.delete(writing));
    this.#writing.add(writing);
  }
}
