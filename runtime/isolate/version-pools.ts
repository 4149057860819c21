/**
 * The isolate executor's pools, one per function version: made on first use, kept in the order
 * they were last active for the prewarm budget, and retired on eviction while their busy
 * isolates finish.
 */
import type { FunctionSpec } from '../../core/messages.ts';
import type { Prelude } from './prelude.ts';
import type { VersionPool } from './version-pool.ts';

export class VersionPools {
  readonly #pools = new Map<string, VersionPool>();
  /** Pools within the prewarm budget, least recently invoked or prewarmed first. */
  readonly #recent = new Map<string, VersionPool>();
  /** Evicted pools whose busy isolates have not finished yet. */
  readonly #retired = new Set<VersionPool>();
  /** How many pools may keep idle isolates (see {@link VersionPool.keep}). */
  readonly #budget: number;
  readonly #make: (fn: FunctionSpec, prelude: Prelude) => VersionPool;

  constructor(budget: number, make: (fn: FunctionSpec, prelude: Prelude) => VersionPool) {
    this.#budget = budget;
    this.#make = make;
  }

  /** The pool of `fn`'s version, made now (its isolates from `prelude`) if it has none. */
  for(fn: FunctionSpec, prelude: Prelude): VersionPool {
    const key = keyOf(fn.name, fn.version);
    let pool = this.#pools.get(key);
    if (pool === undefined) {
      pool = this.#make(fn, prelude);
      this.#pools.set(key, pool);
    }
    return pool;
  }

  /**
   * Makes `pool` the most recently active one within the prewarm budget; the least recently
   * active pool beyond the budget stops keeping idle isolates.
   */
  touch(pool: VersionPool): void {
    const key = keyOf(pool.name, pool.version);
    if (this.#pools.get(key) !== pool) return; // Evicted meanwhile.
    this.#recent.delete(key);
    this.#recent.set(key, pool);
    pool.keep(true);
    for (const [oldKey, old] of this.#recent) {
      if (this.#recent.size <= this.#budget) break;
      this.#recent.delete(oldKey);
      old.keep(false);
    }
  }

  /** An isolate of `pool` came back: a retired pool is forgotten once it is empty. */
  released(pool: VersionPool): void {
    if (this.#retired.has(pool) && pool.empty) this.#retired.delete(pool);
  }

  /** Retires the pools of `name`, all but `keepVersion`'s. */
  evict(name: string, keepVersion?: number): void {
    for (const [key, pool] of this.#pools) {
      if (pool.name !== name || pool.version === keepVersion) continue;
      this.#pools.delete(key);
      this.#recent.delete(key);
      pool.retire();
      if (!pool.empty) this.#retired.add(pool);
    }
  }

  /** Disposes isolates idle since before `idleSince`; forgets the pools left empty. */
  reap(idleSince: number): void {
    for (const [key, pool] of this.#pools) {
      pool.reap(idleSince);
      if (!pool.empty) continue;
      this.#pools.delete(key);
      this.#recent.delete(key);
    }
    for (const pool of this.#retired) if (pool.empty) this.#retired.delete(pool);
  }

  /** Isolates alive in every pool, retired ones included. */
  instances(): number {
    let instances = 0;
    for (const pool of [...this.#pools.values(), ...this.#retired]) instances += pool.size;
    return instances;
  }

  /** Closes every pool (their isolates are disposed) and forgets them. */
  close(): void {
    for (const pool of [...this.#pools.values(), ...this.#retired]) pool.close();
    this.#pools.clear();
    this.#recent.clear();
    this.#retired.clear();
  }
}

function keyOf(name: string, version: number): string {
  return `${name}@${version}`;
}
