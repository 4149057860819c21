import { toFunctionSpec } from '../core/function-spec.ts';
import type { FunctionSpec } from '../core/messages.ts';
import type { FunctionRecord, Store } from '../core/store.ts';

/** A function as invocations need it: its record and the spec its messages carry. */
export interface ActiveFunction {
  record: FunctionRecord;
  spec: FunctionSpec;
}

interface Entry {
  fn: ActiveFunction;
  expiresAt: number;
}

/**
 * Looks up active functions for the invocation hot path, keeping each one for a short TTL so a
 * burst of requests costs one store read. Only functions that exist are kept: a function
 * deployed through another gateway must be callable here as soon as its deploy returned.
 * Deleting, deploying or rolling back evicts the entry (locally, and on every gateway through
 * the control fanout).
 */
export class FunctionCatalog {
  readonly #store: Store;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  /** Bumped by every eviction, so a read that raced one does not put the old version back. */
  #generation = 0;

  constructor(store: Store, ttlMs: number, now: () => number) {
    this.#store = store;
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  async get(name: string): Promise<ActiveFunction | undefined> {
    const now = this.#now();
    const cached = this.#entries.get(name);
    if (cached !== undefined && cached.expiresAt > now) return cached.fn;
    const generation = this.#generation;
    const record = await this.#store.getFunction(name);
    if (record === undefined) {
      this.#entries.delete(name);
      return undefined;
    }
    const fn = {
      record,
      spec: toFunctionSpec(record.active.manifest, record.activeVersion, record.active.bundleSha),
    };
    if (this.#ttlMs > 0 && generation === this.#generation) {
      this.#entries.set(name, { fn, expiresAt: now + this.#ttlMs });
    }
    return fn;
  }

  evict(name: string): void {
    this.#generation += 1;
    this.#entries.delete(name);
  }
}
