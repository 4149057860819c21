/**
 * Bundles by sha256, fetched once through the injected {@link BundleSource} and kept for the next
 * cold start. Bounded: the least recently used bundle goes first; a failed fetch is not kept.
 */
import type { BundleSource } from '../../core/executor.ts';

export class BundleCache {
  readonly #load: BundleSource;
  readonly #maxEntries: number;
  readonly #entries = new Map<string, Promise<string>>();

  constructor(load: BundleSource, maxEntries: number) {
    this.#load = load;
    this.#maxEntries = maxEntries;
  }

  get(sha: string): Promise<string> {
    let entry = this.#entries.get(sha);
    if (entry === undefined) {
      entry = this.#load(sha);
      entry.catch(() => {
        if (this.#entries.get(sha) === entry) this.#entries.delete(sha);
      });
    }
    this.#entries.delete(sha);
    this.#entries.set(sha, entry);
    while (this.#entries.size > this.#maxEntries) {
      this.#entries.delete(this.#entries.keys().next().value as string);
    }
    return entry;
  }

  clear(): void {
    this.#entries.clear();
  }
}
