/**
 * Bundles by sha256, fetched once through the injected {@link BundleSource} and kept for the
 * next cold start, in whatever form an executor prepares from the code. Bounded: the least
 * recently used bundle goes first; a failed fetch is not kept.
 */
import type { BundleSource } from '../core/executor.ts';

export class BundleCache<T> {
  readonly #load: BundleSource;
  readonly #maxEntries: number;
  readonly #prepare: (sha: string, code: string) => T;
  readonly #entries = new Map<string, Promise<T>>();

  constructor(load: BundleSource, maxEntries: number, prepare: (sha: string, code: string) => T) {
    this.#load = load;
    this.#maxEntries = maxEntries;
    this.#prepare = prepare;
  }

  get(sha: string): Promise<T> {
    const hit = this.#entries.get(sha);
    if (hit !== undefined) {
      this.#entries.delete(sha);
      this.#entries.set(sha, hit);
      return hit;
    }
    const loading = this.#load(sha).then((code) => this.#prepare(sha, code));
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
