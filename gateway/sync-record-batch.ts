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
 * calls and most calls meet none. When the store fails, the batch's results go to the durable
 * results queue, one message each, as a node's results would, and a gateway records them from
 * there once the store is back.
 */
export class SyncRecordBatch {
  readonly #options: SyncRecordBatchOptions;
  #pending: ResultEvent[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #writing = new Set<Promise<void>>();
  /** Set by settle(): the gateway is stopping, so a result that still comes is written at once. */
  #settling = false;

  constructor(options: SyncRecordBatchOptions) {
    this.#options = options;
  }

  add(result: InvocationResult): void {
    // Marked sync on the results queue too: the node may send a copy, and only one is counted.
    this.#pending.push({ type: 'finished', result, sync: true });
    if (this.#settling || this.#pending.length >= this.#options.maxSize) this.#flush();
    else this.#timer ??= setTimeout(() => this.#flush(), this.#options.delayMs);
  }

  /**
   * Writes what waits now and resolves once every write is done (or failed), those of results
   * added meanwhile included; from then on each result is written as it comes.
   */
  async settle(): Promise<void> {
    this.#settling = true;
    this.#flush();
    while (this.#writing.size > 0) await Promise.all(this.#writing);
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending;
    if (batch.length === 0) return;
    this.#pending = [];
    const writing = this.#write(batch).finally(() => this.#writing.delete(writing));
    this.#writing.add(writing);
  }

  async #write(batch: ResultEvent[]): Promise<void> {
    try {
      await this.#options.record(batch, 'reply');
    } catch (error) {
      await Promise.all(batch.map((event) => this.#queue(event, error)));
    }
  }

  /**
   * The results queue takes what the store could not, one message per result: never larger than
   * a message the node itself could have sent, and a result the store keeps refusing there is
   * redelivered alone, not with the others of its batch.
   */
  async #queue(event: ResultEvent, error: unknown): Promise<void> {
    const { broker, logger } = this.#options;
    const id = event.type === 'finished' ? event.result.id : event.id;
    logger.warn({ err: error, id }, 'sync result not recorded; queued for a later write');
    try {
      await broker.publishResults([event]);
    } catch (publishError) {
      logger.warn({ err: publishError, id }, 'sync result not recorded');
    }
  }
}
