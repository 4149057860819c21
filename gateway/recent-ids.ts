/**
 * Ids seen in the last while, in two generations: an id is kept at least `keepMs` and at most
 * twice that, and both adding and asking cost one Set operation, with no timer to stop.
 */
export class RecentIds {
  readonly #keepMs: number;
  readonly #now: () => number;
  #current = new Set<string>();
  #previous = new Set<string>();
  #rotateAt: number;

  constructor(keepMs: number, now: () => number) {
    this.#keepMs = keepMs;
    this.#now = now;
    this.#rotateAt = now() + keepMs;
  }

  has(id: string): boolean {
    this.#rotate();
    return this.#current.has(id) || this.#previous.has(id);
  }

  add(id: string): void {
    this.#rotate();
    this.#current.add(id);
  }

  #rotate(): void {
    const now = this.#now();
    if (now < this.#rotateAt) return;
    // After a long quiet spell both generations are past their time.
    this.#previous = now < this.#rotateAt + this.#keepMs ? this.#current : new Set();
    this.#current = new Set();
    this.#rotateAt = now + this.#keepMs;
  }
}
