import type { Connection } from './connection.ts';

interface PendingWrite {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for the hot write paths (accepting an invocation, `started` reports, results):
 * the writes requested in one burst of work are committed together in one transaction instead
 * of one commit each. The commit runs in a microtask queued by the first write, so it takes
 * every write requested before it: the results amqplib delivers from one socket read, and the
 * acceptances whose publisher confirms arrived together (their continuations were queued
 * first). A microtask, not setImmediate: a caller polling the store in a loop of resolved
 * promises would starve a macrotask, and its writes with it. Each write
 * still resolves only after the commit that holds it, so a caller that answers 202 or acks a
 * result after awaiting it keeps the guarantee it had; a batch only saves the per-commit cost
 * (WAL frames of the same pages written once, one lock round trip).
 *
 * Every write runs in a savepoint of its own: one that throws is rolled back alone and rejects
 * alone, and the others commit, exactly as if each had had its own transaction.
 */
export class WriteBatch {
  readonly #connection: Connection;
  #pending: PendingWrite[] = [];
  #scheduled = false;

  constructor(connection: Connection) {
    this.#connection = connection;
  }

  /** Runs `work` (synchronous SQL) in the next group commit; resolves once it is committed. */
  run<T>(work: () => T): Promise<T> {
    const { promise, resolve, reject } = Promise.withResolvers<T>();
    this.#pending.push({ work, resolve: resolve as (value: unknown) => void, reject });
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.flush());
    }
    return promise;
  }

  /** Commits what is pending now (also called before the connection closes). */
  flush(): void {
    this.#scheduled = false;
    const writes = this.#pending;
    this.#pending = [];
    if (writes.length === 0) return;
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      this.#connection.transaction(() => {
        for (const write of writes) outcomes.push(this.#inSavepoint(write.work));
      });
    } catch (error) {
      for (const write of writes) write.reject(error);
      return;
    }
    for (const [i, write] of writes.entries()) {
      const outcome = outcomes[i];
      if (outcome?.ok) write.resolve(outcome.value);
      else write.reject(outcome?.error);
    }
  }

  #inSavepoint(work: () => unknown): { ok: true; value: unknown } | { ok: false; error: unknown } {
    this.#connection.exec('SAVEPOINT batched_write');
    try {
      const value = work();
      this.#connection.exec('RELEASE batched_write');
      return { ok: true, value };
    } catch (error) {
      this.#connection.exec('ROLLBACK TO batched_write');
      this.#connection.exec('RELEASE batched_write');
      return { ok: false, error };
    }
  }
}
