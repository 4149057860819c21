/**
 * The warm containers of one function version. Each container takes up to `capacity` invocations
 * at once; up to `limit` containers exist, and further invocations wait (until their deadline)
 * for a slot. Work is packed onto the most recently used container so that the others go idle
 * and can be reaped: the pool shrinks back to what the load needs, down to zero.
 */
import { FjordError } from '../../core/errors.ts';
import type { ContainerInstance } from './container-instance.ts';

export interface Lease {
  instance: ContainerInstance;
  /** True when the container was not ready yet: this invocation waits for its cold start. */
  cold: boolean;
}

interface Waiter {
  resolve(lease: Lease): void;
  reject(error: Error): void;
}

export class ContainerPool {
  readonly name: string;
  readonly version: number;
  readonly #limit: number;
  readonly #create: () => ContainerInstance;
  /** Most recently used last. */
  #instances: ContainerInstance[] = [];
  #waiters: Waiter[] = [];
  /** Evicted by a newer version: serves who is waiting, keeps nothing idle. */
  #retired = false;
  #closed = false;

  constructor(name: string, version: number, limit: number, create: () => ContainerInstance) {
    this.name = name;
    this.version = version;
    this.#limit = Math.max(1, limit);
    this.#create = create;
  }

  /** Containers alive: booting, ready or busy. */
  get size(): number {
    return this.#instances.length;
  }

  get empty(): boolean {
    return this.size === 0 && this.#waiters.length === 0;
  }

  get instances(): readonly ContainerInstance[] {
    return this.#instances;
  }

  /** A slot on a live container, a new container when under the limit, or the next slot freed. */
  acquire(signal: AbortSignal): Promise<Lease> {
    if (this.#closed) {
      return Promise.reject(new FjordError('NO_CAPACITY', 'the executor is shut down'));
    }
    const lease = this.#take();
    if (lease !== undefined) return Promise.resolve(lease);
    return new Promise<Lease>((resolve, reject) => {
      const onAbort = (): void => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(
          new FjordError(
            'INVOCATION_TIMEOUT',
            `no container of ${this.name} had a free slot before the deadline (${this.#limit} busy)`,
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

  /** Gives a slot back after an invocation. */
  release(instance: ContainerInstance): void {
    instance.active -= 1;
    instance.lastUsedAt = Date.now();
    if (instance.state === 'removed') {
      if (instance.active === 0) void instance.remove('broken');
    } else {
      this.#touch(instance);
      if ((this.#retired || this.#closed) && instance.active === 0) {
        void instance.remove(this.#closed ? 'shutdown' : 'evicted');
      }
    }
    this.#serveWaiters();
  }

  /** Forgets a container that is gone; its slots go to whoever waits. */
  forget(instance: ContainerInstance): void {
    const before = this.#instances.length;
    this.#instances = this.#instances.filter((i) => i !== instance);
    if (this.#instances.length !== before) this.#serveWaiters();
  }

  /** Removes containers with nothing to do since before `idleSince` (epoch ms). */
  reap(idleSince: number): void {
    for (const instance of this.#instances) {
      if (instance.active === 0 && instance.state === 'ready' && instance.lastUsedAt < idleSince) {
        void instance.remove('reaped');
      }
    }
  }

  /** A newer version took over: idle containers go now, busy ones when they finish. */
  retire(): void {
    this.#retired = true;
    for (const instance of this.#instances) {
      if (instance.active === 0) void instance.remove('evicted');
    }
  }

  /** Removes every container, busy ones included, and fails whoever waits. */
  close(): void {
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) {
      waiter.reject(new FjordError('NO_CAPACITY', 'the executor is shut down'));
    }
    for (const instance of this.#instances) void instance.remove('shutdown');
  }

  /** Starts containers until `count` are alive (within the limit), ahead of invocations. */
  prewarm(count: number): void {
    if (this.#retired || this.#closed) return;
    while (this.#live() < Math.min(count, this.#limit)) this.#instances.push(this.#create());
  }

  #live(): number {
    return this.#instances.filter((i) => i.state !== 'removed').length;
  }

  #take(): Lease | undefined {
    // The most recently used live container with a free slot.
    for (let i = this.#instances.length - 1; i >= 0; i--) {
      const instance = this.#instances[i];
      if (instance === undefined || instance.state === 'removed') continue;
      if (instance.active >= instance.capacity) continue;
      instance.active += 1;
      return { instance, cold: instance.state === 'booting' };
    }
    if (this.#live() >= this.#limit) return undefined;
    const instance = this.#create();
    this.#instances.push(instance);
    instance.active += 1;
    return { instance, cold: true };
  }

  #touch(instance: ContainerInstance): void {
    const index = this.#instances.indexOf(instance);
    if (index === -1) return;
    this.#instances.splice(index, 1);
    this.#instances.push(instance);
  }

  #serveWaiters(): void {
    while (this.#waiters.length > 0 && !this.#closed) {
      const lease = this.#take();
      if (lease === undefined) return;
      this.#waiters.shift()?.resolve(lease);
    }
  }
}
