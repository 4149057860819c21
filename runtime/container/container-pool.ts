/**
 * The warm containers of one function version. Each container takes up to `capacity` invocations
 * at once; up to `limit` containers exist, and further invocations wait (until their deadline)
 * for a slot. Work is packed onto the most recently used container so that the others go idle
 * and can be reaped: the pool shrinks back to what the load needs, down to zero.
 */
import { WarmPool, type Lease } from '../warm-pool.ts';
import type { ContainerInstance } from './container-instance.ts';

export class ContainerPool extends WarmPool<ContainerInstance> {
  /** Most recently used last. */
  #instances: ContainerInstance[] = [];

  /** Containers alive: booting, ready or busy. */
  get size(): number {
    return this.#instances.length;
  }

  get instances(): readonly ContainerInstance[] {
    return this.#instances;
  }

  /** Invocations running in this pool's containers now. */
  get inFlight(): number {
    return this.#instances.reduce((sum, instance) => sum + instance.active, 0);
  }

  /** Gives a slot back after an invocation. */
  release(instance: ContainerInstance): void {
    instance.active -= 1;
    instance.lastUsedAt = Date.now();
    if (instance.state === 'removed') {
      if (instance.active === 0) void instance.remove('broken');
    } else {
      this.#touch(instance);
      if ((this.retired || this.closed) && instance.active === 0) {
        void instance.remove(this.closed ? 'shutdown' : 'evicted');
      }
    }
    this.serveWaiters();
  }

  /** Forgets a container that is gone; its slots go to whoever waits. */
  forget(instance: ContainerInstance): void {
    const before = this.#instances.length;
    this.#instances = this.#instances.filter((i) => i !== instance);
    if (this.#instances.length !== before) this.serveWaiters();
  }

  /**
   * Removes containers with nothing to do since before `idleSince` (epoch ms), except the `keep`
   * most recently used ones: what the recent load needed stays warm.
   */
  reap(idleSince: number, keep = 0): void {
    const live = this.#instances.filter((i) => i.state !== 'removed');
    const kept = new Set(keep > 0 ? live.slice(-keep) : []);
    for (const instance of this.#instances) {
      if (kept.has(instance)) continue;
      if (instance.active === 0 && instance.state === 'ready' && instance.lastUsedAt < idleSince) {
        void instance.remove('reaped');
      }
    }
  }

  /** A newer version took over: idle containers go now, busy ones when they finish. */
  retire(): void {
    this.retired = true;
    for (const instance of this.#instances) {
      if (instance.active === 0) void instance.remove('evicted');
    }
  }

  /** Removes every container, busy ones included, and fails whoever waits. */
  close(): void {
    this.failWaiters();
    for (const instance of this.#instances) void instance.remove('shutdown');
  }

  /** Starts containers until `count` are alive (within the limit), ahead of invocations. */
  prewarm(count: number): void {
    if (this.retired || this.closed) return;
    while (this.#live() < Math.min(count, this.limit)) this.#instances.push(this.create());
  }

  #live(): number {
    return this.#instances.filter((i) => i.state !== 'removed').length;
  }

  protected take(): Lease<ContainerInstance> | undefined {
    // The most recently used live container with a free slot.
    for (let i = this.#instances.length - 1; i >= 0; i--) {
      const instance = this.#instances[i];
      if (instance === undefined || instance.state === 'removed') continue;
      if (instance.active >= instance.capacity) continue;
      instance.active += 1;
      return { instance, cold: instance.state === 'booting' };
    }
    if (this.#live() >= this.limit) return undefined;
    const instance = this.create();
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

  protected timeoutMessage(): string {
    return `no container of ${this.name} had a free slot before the deadline (${this.limit} busy)`;
  }
}
