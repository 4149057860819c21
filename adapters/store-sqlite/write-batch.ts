import type { Connection } from './connection.ts';

interface PendingWrite {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Group commit for the hot write paths (accepting an invocation, `started` reports, results):
 * the writes requested in one burst of work are committed together in one transaction instead
 * of one commit each. The commit runs in a microtask queued by the first write, so it takes
 * every write requested before it: the results amqplib delivers from one socket read, and the
 * acceptances whose publisher confirms arrived together (their continuations were queued
 * first). A microtask, not setImmediate: a caller polling the store in a loop of resolved
 * promises would starve a macrotask, and its writes with it; and on the real RabbitMQ path
 * setImmediate grouped little more (3.9 writes a commit instead of 3.3) for no measurable CPU
 * per invocation (BENCHMARKS.md, "Group commit: microtask or setImmediate"). Each write still
 * resolves only after the commit that holds it, so a caller that answers 202 or acks a
 * result after awaiting it keeps the guarantee it had; a batch only saves the per-commit cost
 * (WAL frames of the same pages written once, one lock round trip).
 *
 * A write that throws is rolled back alone and rejects alone, and the others commit, exactly as
 * if each had had its own transaction. Writes almost never throw, so the batch first runs them
 * plainly in its transaction; only when one throws is that transaction rolled back and the batch
 * run again with each write in a savepoint of its own (SAVEPOINT and RELEASE per write took 8%
 * of the gateway's main thread in the async profile). A `work` must therefore be plain SQL that
 * may run twice: nothing outside the database may change before its transaction commits.
 */
export class WriteBatch {
  readonly #connection: Connection;
  #pending: PendingWrite[] = [];
  #scheduled = false;

  constructor(connection: Connection) {
    this.#connection = connection;
  }

  /** Runs `work` (synchronous SQL, safe to run again after a rollback) in the next group commit. */
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
    let outcomes: Outcome[] | undefined;
    try {
      // Inside a caller's transaction a rollback would undo the caller's work too.
      if (!this.#connection.inTransaction) outcomes = this.#plainly(writes);
      outcomes ??= this.#connection.transaction(() => writes.map((w) => this.#inSavepoint(w)));
    } catch (error) {
      // The transaction itself failed (the lock, the commit): nothing of the batch was written.
      for (const write of writes) write.reject(error);
      return;
    }
    for (const [i, write] of writes.entries()) {
      const outcome = outcomes[i];
      if (outcome?.ok) write.resolve(outcome.value);
      else write.reject(outcome?.error);
    }
  }

  /**
   * The writes without savepoints. Undefined when one of several threw: the transaction was
   * rolled back, and the batch must run the careful way. A lone write's error is its outcome.
   */
  #plainly(writes: PendingWrite[]): Outcome[] | undefined {
    let failure: { error: unknown } | undefined;
    try {
      return this.#connection.transaction(() =>
        writes.map((write): Outcome => {
          try {
            return { ok: true, value: write.work() };
          } catch (error) {
            failure = { error };
            throw error;
          }
        }),
      );
    } catch (error) {
      if (failure === undefined) throw error;
      return writes.length === 1 ? [{ ok: false, error: failure.error }] : undefined;
    }
  }

  #inSavepoint(write: PendingWrite): Outcome {
    this.#connection.exec('SAVEPOINT batched_write');
    try {
      const value = write.work();
      this.#connection.exec('RELEASE batched_write');
      return { ok: true, value };
    } catch (error) {
      this.#connection.exec('ROLLBACK TO batched_write');
      this.#connection.exec('RELEASE batched_write');
      return { ok: false, error };
    }
  }
}
