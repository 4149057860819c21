/**
 * The warm isolates of one function version. Each isolate takes one invocation at a time; up to
 * `limit` exist at once, and further invocations wait (until their deadline) for one to free up.
 */
import { FjordError } from '../../core/errors.ts';
import type { IsolateInstance } from './isolate-instance.ts';

export interface Lease {
  instance: IsolateInstance;
  /** True when the instance is new and must boot: a cold start. */
  cold: boolean;
}

interface Waiter {
  resolve(lease: Lease): void;
  reject(error: Error): void;
}

export class VersionPool {
  readonly name: string;
  readonly version: number;
  readonly #limit: number;
  readonly #create: () => IsolateInstance;
  /** Most recently used last, so the warmest isolate is taken first. */
  readonly #idle: IsolateInstance[] = [];
  readonly #busy = new Set<IsolateInstance>();
  #waiters: Waiter[] = [];
  /** Evicted by a newer version: serves who is waiting, keeps nothing idle. */
  #retired = false;
  #closed = false;

  constructor(name: string, version: number, limit: number, create: () => IsolateInstance) {
    this.name = name;
    this.version = version;
    this.#limit = Math.max(1, limit);
    this.#create = create;
  }

  /** Instances alive, busy or idle. */
  get size(): number {
    return this.#idle.length + this.#busy.size;
  }

  get empty(): boolean {
    return this.size === 0 && this.#waiters.length === 0;
  }

  /** An idle instance, a new one when under the limit, or the next one released. */
  acquire(signal: AbortSignal): Promise<Lease> {
    if (this.#closed)
      return Promise.reject(new FjordError('NO_CAPACITY', 'the executor is shut down'));
    const lease = this.#take();
    if (lease !== undefined) return Promise.resolve(lease);
    return new Promise<Lease>((resolve, reject) => {
      const onAbort = (): void => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(
          new FjordError(
            'INVOCATION_TIMEOUT',
            `no isolate of ${this.name} became free before the deadline (${this.#limit} busy)`,
          ),
        );
      };
      const waiter: Waiter = {
        resolve: (l) => {
          signal.removeEventListener('abort', onAbort);
          resolve(l);
        },
        reject: (e) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Gives an instance back after an invocation; disposed ones free their slot. */
  release(instance: IsolateInstance): void {
    if (!this.#busy.delete(instance)) return;
    if (instance.state !== 'disposed') {
      const waiter = this.#waiters.shift();
      if (waiter !== undefined) {
        this.#busy.add(instance);
        waiter.resolve({ instance, cold: false });
        return;
      }
      if (this.#retired || this.#closed) instance.dispose(this.#closed ? 'shutdown' : 'evicted');
      else this.#idle.push(instance);
    }
    this.#serveWaiters();
  }

  /** Disposes instances idle since before `idleSince` (epoch ms). */
  reap(idleSince: number): void {
    for (const instance of this.#idle.filter((i) => i.lastUsedAt < idleSince)) {
      this.#idle.splice(this.#idle.indexOf(instance), 1);
      instance.dispose('reaped');
    }
  }

  /** A newer version took over: idle instances go now, busy ones when they finish. */
  retire(): void {
    this.#retired = true;
    for (const instance of this.#idle.splice(0)) instance.dispose('evicted');
  }

  /** Disposes everything, busy instances included, and fails whoever waits. */
  close(): void {
    this.#closed = true;
    for (const instance of [...this.#idle.splice(0), ...this.#busy]) instance.dispose('shutdown');
    for (const waiter of this.#waiters.splice(0)) {
      waiter.reject(new FjordError('NO_CAPACITY', 'the executor is shut down'));
    }
  }

  #take(): Lease | undefined {
    for (let instance = this.#idle.pop(); instance !== undefined; instance = this.#idle.pop()) {
      if (instance.state === 'disposed') continue;
      this.#busy.add(instance);
      return { instance, cold: false };
    }
    if (this.size >= this.#limit) return undefined;
    const instance = this.#create();
    this.#busy.add(instance);
    return { instance, cold: true };
  }

  #serveWaiters(): void {
    while (this.#waiters.length > 0 && !this.#closed) {
      const lease = this.#take();
      if (lease === undefined) return;
      this.#waiters.shift()?.resolve(lease);
    }
  }
}
