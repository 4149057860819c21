/**
 * The warm isolates of one function version. Each isolate takes one invocation at a time; up to
 * `limit` exist at once, and further invocations wait (until their deadline) for one to free up.
 * A prewarmed pool keeps at least that many isolates booted and idle: when an invocation takes
 * one, another boots in the background (within the limit), and idle reaping stops at that floor.
 * A pool outside the node's prewarm budget ({@link VersionPool.keep}) keeps nothing idle at all.
 */
import { WarmPool, type Lease } from '../warm-pool.ts';
import type { IsolateInstance } from './isolate-instance.ts';

/** Boots an isolate ahead of invocations; true when it is ready. Never rejects. */
export type BootAhead = (instance: IsolateInstance) => Promise<boolean>;

export class VersionPool extends WarmPool<IsolateInstance> {
  /** Most recently used last, so the warmest isolate is taken first. */
  readonly #idle: IsolateInstance[] = [];
  readonly #busy = new Set<IsolateInstance>();
  /** Booting ahead of invocations; they count against the limit. */
  readonly #warming = new Map<IsolateInstance, Promise<void>>();
  readonly #bootAhead: BootAhead;
  /** Booted idle isolates asked for; 0 until {@link prewarm}, and again after a failed boot. */
  #floor = 0;
  /** Within the executor's prewarm budget: may keep idle isolates (and its floor). */
  #kept = true;

  constructor(
    name: string,
    version: number,
    limit: number,
    create: () => IsolateInstance,
    bootAhead: BootAhead,
  ) {
    super(name, version, limit, create);
    this.#bootAhead = bootAhead;
  }

  /** Instances alive, busy, idle or booting. */
  get size(): number {
    return this.#idle.length + this.#busy.size + this.#warming.size;
  }

  /**
   * Keeps `count` booted isolates idle from now on (within the limit); resolves once every
   * isolate booting ahead has booted or failed to.
   */
  async prewarm(count: number): Promise<void> {
    this.#floor = count;
    this.#topUp();
    await Promise.all(this.#warming.values());
  }

  /**
   * Whether the pool is within the executor's prewarm budget. Outside it, idle and booting
   * isolates are disposed now and released ones as they come back, so memory stays bounded
   * however many versions a node follows (or prewarms at once, as at its start); back inside,
   * it boots up to its floor again.
   */
  keep(kept: boolean): void {
    if (this.#kept === kept) return;
    this.#kept = kept;
    if (kept) return this.#topUp();
    for (const instance of [...this.#idle.splice(0), ...this.#warming.keys()]) {
      instance.dispose('reaped');
    }
  }

  /** Booted idle isolates to keep now. */
  get #minIdle(): number {
    return this.#kept ? this.#floor : 0;
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
      else if (!this.#kept) instance.dispose('reaped');
      else this.#idle.push(instance);
    }
    this.serveWaiters();
  }

  /**
   * Disposes instances idle since before `idleSince` (epoch ms), the least recently used first,
   * down to the prewarm floor: a prewarmed version keeps its booted isolates however long it
   * idles (and boots back up to the floor if invocations lost some), until it is retired.
   */
  reap(idleSince: number): void {
    const stale = this.#idle.filter((i) => i.lastUsedAt < idleSince);
    const fresh = this.#idle.length - stale.length + this.#warming.size;
    const keep = Math.min(stale.length, Math.max(0, this.#minIdle - fresh));
    // #idle is in order of last use, so the instances kept are the most recently used.
    for (const instance of stale.slice(0, stale.length - keep)) {
      this.#idle.splice(this.#idle.indexOf(instance), 1);
      instance.dispose('reaped');
    }
    this.#topUp();
  }

  /** A newer version took over: idle instances go now, busy ones when they finish. */
  retire(): void {
    this.retired = true;
    const idle = [...this.#idle.splice(0), ...this.#warming.keys()];
    for (const instance of idle) instance.dispose('evicted');
  }

  /** Disposes everything, busy instances included, and fails whoever waits. */
  close(): void {
    this.closed = true;
    const all = [...this.#idle.splice(0), ...this.#busy, ...this.#warming.keys()];
    for (const instance of all) instance.dispose('shutdown');
    this.failWaiters();
  }

  protected take(): Lease<IsolateInstance> | undefined {
    for (let instance = this.#idle.pop(); instance !== undefined; instance = this.#idle.pop()) {
      if (instance.state === 'disposed') continue;
      this.#busy.add(instance);
      this.#topUp();
      return { instance, cold: false };
    }
    if (this.size >= this.limit) return undefined;
    const instance = this.create();
    this.#busy.add(instance);
    return { instance, cold: true };
  }

  /** Boots isolates in the background until `#minIdle` are idle or booting, within the limit. */
  #topUp(): void {
    while (
      !this.retired &&
      !this.closed &&
      this.#idle.length + this.#warming.size < this.#minIdle &&
      this.size < this.limit
    ) {
      const instance = this.create();
      this.#warming.set(instance, this.#warmUp(instance));
    }
  }

  async #warmUp(instance: IsolateInstance): Promise<void> {
    const ready = await this.#bootAhead(instance);
    this.#warming.delete(instance);
    // A broken bundle would fail every boot: stop topping up and let invocations report it.
    // (A boot cut short because the pool left the budget says nothing about the bundle.)
    if (!ready && this.#kept) this.#floor = 0;
    if (ready && instance.state === 'ready') {
      // Through release(): a waiting invocation gets it, or it goes idle (or away, if retired).
      this.#busy.add(instance);
      this.release(instance);
    } else {
      instance.dispose('broken');
      this.serveWaiters();
    }
  }

  protected timeoutMessage(): string {
    return `no isolate of ${this.name} became free before the deadline (${this.limit} busy)`;
  }
}
