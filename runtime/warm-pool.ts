/**
 * What the warm pools of both executors share: the instances of one function version, up to a
 * limit, and the invocations that wait (until their deadline) for a free one. Subclasses decide
 * what an instance is, how many invocations it takes and how it goes away: an isolate runs one
 * invocation at a time and is disposed at once, a container takes several and is removed in the
 * background.
 */
import { FjordError } from '../core/errors.ts';
import { waitInLine, type LineWaiter } from './wait-in-line.ts';

/** An instance handed to one invocation. */
export interface Lease<I> {
  instance: I;
  /** True when the instance is new or still booting: this invocation waits for a cold start. */
  cold: boolean;
}

type Waiter<I> = LineWaiter<Lease<I>>;

export abstract class WarmPool<I> {
  readonly name: string;
  readonly version: number;
  protected readonly limit: number;
  protected readonly create: () => I;
  /** Evicted by a newer version: serves who is waiting, keeps nothing idle. */
  protected retired = false;
  protected closed = false;
  #waiters: Waiter<I>[] = [];

  constructor(name: string, version: number, limit: number, create: () => I) {
    this.name = name;
    this.version = version;
    this.limit = Math.max(1, limit);
    this.create = create;
  }

  /** Instances alive, busy or not. */
  abstract get size(): number;

  get empty(): boolean {
    return this.size === 0 && this.#waiters.length === 0;
  }

  /** A free instance now, or the next one freed; fails when `signal` aborts first. */
  acquire(signal: AbortSignal): Promise<Lease<I>> {
    if (this.closed) {
      return Promise.reject(new FjordError('NO_CAPACITY', 'the executor is shut down'));
    }
    const lease = this.take();
    if (lease !== undefined) return Promise.resolve(lease);
    return waitInLine<Lease<I>>(signal, {
      join: (waiter) => {
        this.#waiters.push(waiter);
      },
      leave: (waiter) => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
      },
      // It never ran: another attempt may find an instance free.
      aborted: () =>
        new FjordError('INVOCATION_TIMEOUT', this.timeoutMessage(), { retryable: true }),
    });
  }

  /** A lease on a free instance (a new one when under the limit), or undefined when none is. */
  protected abstract take(): Lease<I> | undefined;

  /** Why an invocation gave up waiting, for its INVOCATION_TIMEOUT error. */
  protected abstract timeoutMessage(): string;

  /** Gives `lease` to the longest waiting invocation; false when nobody waits. */
  protected handOver(lease: Lease<I>): boolean {
    const waiter = this.#waiters.shift();
    if (waiter === undefined) return false;
    waiter.resolve(lease);
    return true;
  }

  /** Leases free instances to waiting invocations, oldest first, while there are any. */
  protected serveWaiters(): void {
    while (this.#waiters.length > 0 && !this.closed) {
      const lease = this.take();
      if (lease === undefined) return;
      this.#waiters.shift()?.resolve(lease);
    }
  }

  /** Marks the pool closed and fails every waiting invocation. */
  protected failWaiters(): void {
    this.closed = true;
    for (const waiter of this.#waiters.splice(0)) {
      waiter.reject(new FjordError('NO_CAPACITY', 'the executor is shut down'));
    }
  }
}
