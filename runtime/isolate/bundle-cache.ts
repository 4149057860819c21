/**
 * Bundles by sha256, fetched once through the injected {@link BundleSource} and kept for the
 * next cold start, with the V8 code cache this process produced from them. Bounded: the least
 * recently used bundle goes first.
 */
import type ivm from 'isolated-vm';
import type { BundleSource } from '../../core/executor.ts';

export interface CachedBundle {
  sha: string;
  code: string;
  /** Produced here by compiling `code`; never accepted from elsewhere. */
  cachedData?: ivm.ExternalCopy<ArrayBuffer>;
}

export class BundleCache {
  readonly #load: BundleSource;
  readonly #maxEntries: number;
  readonly #entries = new Map<string, Promise<CachedBundle>>();

  constructor(load: BundleSource, maxEntries: number) {
    this.#load = load;
    this.#maxEntries = maxEntries;
  }

  get(sha: string): Promise<CachedBundle> {
    const hit = this.#entries.get(sha);
    if (hit !== undefined) {
      this.#entries.delete(sha);
      this.#entries.set(sha, hit);
      return hit;
    }
    const loading = this.#load(sha).then((code) => ({ sha, code }));
    this.#entries.set(sha, loading);
    // A failed fetch is not remembered: the next cold start tries again.
    loading.catch(() => {
      if (this.#entries.get(sha) === loading) this.#entries.delete(sha);
    });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
    return loading;
  }

  clear(): void {
    this.#entries.clear();
  }
}
