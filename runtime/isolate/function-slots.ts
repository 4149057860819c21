/**
 * A function's `concurrency` as isolates running at once, across its versions. Each version has
 * a pool of its own (version-pool.ts), capped at the same number, so while a deploy replaces a
 * version, or while runs sent ahead of free isolates (runtime/delivery-window.ts) wait in both an
 * old and a new version's pool, the pools alone would let up to twice as many run. A run takes a
 * slot of its function's name here before it leases an isolate, and gives it back when it ends;
 * runs that find every slot taken wait in the order they came.
 */
import { FjordError } from '../../core/errors.ts';
import { waitInLine, type LineWaiter } from '../wait-in-line.ts';

/** A run waiting for a slot, and the limit of its version. */
interface Place {
  limit: number;
  waiter: LineWaiter<void>;
}

export class FunctionSlots {
  readonly #taken = new Map<string, number>();
  readonly #waiting = new Map<string, Place[]>();
  #closed = false;

  /**
   * Takes a slot of `name`, at most `limit` taken at once. Undefined when one was free (the
   * common case, with no promise); otherwise resolves once one is handed over, and rejects with
   * INVOCATION_TIMEOUT when `signal` aborts first.
   */
  acquire(name: string, limit: number, signal: AbortSignal): Promise<void> | undefined {
    if (this.#closed) {
      return Promise.reject(new FjordError('NO_CAPACITY', 'the executor is shut down'));
    }
    const taken = this.#taken.get(name) ?? 0;
    if (taken < Math.max(1, limit) && !this.#waiting.has(name)) {
      this.#taken.set(name, taken + 1);
      return undefined;
    }
    return waitInLine<void>(signal, {
      join: (waiter) => {
        const entry: Place = { limit: Math.max(1, limit), waiter };
        const queue = this.#waiting.get(name);
        if (queue === undefined) this.#waiting.set(name, [entry]);
        else queue.push(entry);
      },
      leave: (waiter) => this.#remove(name, waiter),
      aborted: () =>
        new FjordError(
          'INVOCATION_TIMEOUT',
          `no isolate of ${name} became free before the deadline (${limit} busy)`,
          // It never ran: another attempt may find an isolate free.
          { retryable: true },
        ),
    });
  }

  /** Gives a slot of `name` back: the longest waiting run takes it. */
  release(name: string): void {
    const taken = (this.#taken.get(name) ?? 1) - 1;
    if (taken <= 0) this.#taken.delete(name);
    else this.#taken.set(name, taken);
    this.#serve(name);
  }

  /** Slots of `name` taken now (for tests and stats). */
  taken(name: string): number {
    return this.#taken.get(name) ?? 0;
  }

  /** Fails every waiting run: the executor is shut down. */
  close(): void {
    this.#closed = true;
    for (const queue of this.#waiting.values()) {
      for (const { waiter } of queue) {
        waiter.reject(new FjordError('NO_CAPACITY', 'the executor is shut down'));
      }
    }
    this.#waiting.clear();
  }

  #serve(name: string): void {
    const queue = this.#waiting.get(name);
    while (queue !== undefined && queue.length > 0) {
      const taken = this.#taken.get(name) ?? 0;
      const next = queue[0];
      if (next === undefined || taken >= next.limit) return;
      queue.shift();
      if (queue.length === 0) this.#waiting.delete(name);
      this.#taken.set(name, taken + 1);
      next.waiter.resolve();
    }
  }

  #remove(name: string, waiter: LineWaiter<void>): void {
    const queue = this.#waiting.get(name);
    if (queue === undefined) return;
    const at = queue.findIndex((entry) => entry.waiter === waiter);
    if (at >= 0) queue.splice(at, 1);
    if (queue.length === 0) this.#waiting.delete(name);
    // The waiter that left may have held back others behind a lower limit.
    this.#serve(name);
  }
}
