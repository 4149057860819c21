/**
 * Ids seen in the last while, in two generations: an id is kept at least `keepMs` and at most
 * twice that, and both adding and asking cost one Set operation, with no timer to stop. A
 * generation holds at most `maxPerGeneration` ids: past that it turns over early, so memory stays
 * bounded however fast ids come (the oldest are then forgotten sooner than `keepMs`).
 */
export class RecentIds {
  readonly #keepMs: number;
  readonly #now: () => number;
  readonly #maxPerGeneration: number;
  #current = new Set<string>();
  #previous = new Set<string>();
  #rotateAt: number;

  constructor(keepMs: number, now: () => number, maxPerGeneration = 100_000) {
    this.#keepMs = keepMs;
    this.#now = now;
    this.#maxPerGeneration = maxPerGeneration;
    this.#rotateAt = now() + keepMs;
  }

  has(id: string): boolean {
    this.#rotate();
    return this.#current.has(id) || this.#previous.has(id);
  }

  add(id: string): void {
    this.#rotate();
    if (this.#current.size >= this.#maxPerGeneration) this.#turnOver(this.#current, this.#now());
    this.#current.add(id);
  }

  #rotate(): void {
    const now = this.#now();
    if (now < this.#rotateAt) return;
    // After a long quiet spell both generations are past their time.
    this.#turnOver(now < this.#rotateAt + this.#keepMs ? this.#current : new Set(), now);
  }

  /** Starts a new generation at `now`, keeping `previous` as the older one. */
  #turnOver(previous: Set<string>, now: number): void {
    this.#previous = previous;
    this.#current = new Set();
    this.#rotateAt = now + this.#keepMs;
  }
}
