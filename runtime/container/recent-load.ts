/**
 * How many invocations of one function ran at once lately: the peak of the in-flight counts
 * recorded over a sliding window. The container executor keeps that many containers warm (a
 * reaper floor, a refill after a container is lost, the size of a new version's prewarm), so a
 * load that came once in the window finds its containers again, and the pool still scales to zero
 * one window after the last invocation.
 */

/** The window is kept as this many buckets, each holding the largest count recorded in it. */
const BUCKETS = 16;

export class RecentLoad {
  readonly #windowMs: number;
  readonly #bucketMs: number;
  readonly #now: () => number;
  /** Oldest first: [bucket index, largest in-flight count recorded in it]. */
  #buckets: [number, number][] = [];

  constructor(options: { windowMs: number; now?: () => number }) {
    this.#windowMs = Math.max(1, options.windowMs);
    this.#bucketMs = Math.max(1, Math.ceil(this.#windowMs / BUCKETS));
    this.#now = options.now ?? Date.now;
  }

  /** Notes that `inFlight` invocations run now. */
  record(inFlight: number): void {
    const bucket = Math.floor(this.#now() / this.#bucketMs);
    const last = this.#buckets.at(-1);
    if (last?.[0] === bucket) last[1] = Math.max(last[1], inFlight);
    else this.#buckets.push([bucket, inFlight]);
    this.#prune();
  }

  /** The largest count recorded within the window; 0 once nothing was for a whole window. */
  peak(): number {
    this.#prune();
    return this.#buckets.reduce((peak, [, count]) => Math.max(peak, count), 0);
  }

  #prune(): void {
    // A bucket counts while any part of it lies within the window.
    const start = this.#now() - this.#windowMs;
    while (((this.#buckets[0]?.[0] ?? Infinity) + 1) * this.#bucketMs <= start) {
      this.#buckets.shift();
    }
  }
}
