/**
 * The warm isolates of one function version. Each isolate takes one invocation at a time; up to
 * `limit` exist at once, and further invocations wait (until their deadline) for one to free up.
 */
import { WarmPool, type Lease } from '../warm-pool.ts';
import type { IsolateInstance } from './isolate-instance.ts';

export class VersionPool extends WarmPool<IsolateInstance> {
  /** Most recently used last, so the warmest isolate is taken first. */
  readonly #idle: IsolateInstance[] = [];
  readonly #busy = new Set<IsolateInstance>();

  /** Instances alive, busy or idle. */
  get size(): number {
    return this.#idle.length + this.#busy.size;
  }

  /** Gives an instance back after an invocation; disposed ones free their slot. */
  release(instance: IsolateInstance): void {
    if (!this.#busy.delete(instance)) return;
    if (instance.state !== 'disposed') {
      if (this.handOver({ instance, cold: false })) {
        this.#busy.add(instance);
        return;
      }
      if (this.retired || this.closed) instance.dispose(this.closed ? 'shutdown' : 'evicted');
      else this.#idle.push(instance);
    }
    this.serveWaiters();
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
    this.retired = true;
    for (const instance of this.#idle.splice(0)) instance.dispose('evicted');
  }

  /** Disposes everything, busy instances included, and fails whoever waits. */
  close(): void {
    this.closed = true;
    for (const instance of [...this.#idle.splice(0), ...this.#busy]) instance.dispose('shutdown');
    this.failWaiters();
  }

  protected take(): Lease<IsolateInstance> | undefined {
    for (let instance = this.#idle.pop(); instance !== undefined; instance = this.#idle.pop()) {
      if (instance.state === 'disposed') continue;
      this.#busy.add(instance);
      return { instance, cold: false };
    }
    if (this.size >= this.limit) return undefined;
    const instance = this.create();
    this.#busy.add(instance);
    return { instance, cold: true };
  }

  protected timeoutMessage(): string {
    return `no isolate of ${this.name} became free before the deadline (${this.limit} busy)`;
  }
}
