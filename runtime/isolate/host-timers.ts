/**
 * The host side of an isolate's setTimeout/setInterval: one Node timer per pending isolate timer,
 * owned by the current invocation and all cleared when it ends or the isolate is disposed.
 * Timers are unref'd: a function's timer never keeps the node process alive.
 */
export class HostTimers {
  readonly #fire: (generation: number, id: number) => void;
  readonly #maxTimers: number;
  readonly #timers = new Map<number, NodeJS.Timeout>();
  #generation = 0;

  constructor(fire: (generation: number, id: number) => void, maxTimers: number) {
    this.#fire = fire;
    this.#maxTimers = maxTimers;
  }

  get pending(): number {
    return this.#timers.size;
  }

  /** Hands the timers to invocation `generation` (0: none), cancelling the previous owner's. */
  begin(generation: number): void {
    this.clearAll();
    this.#generation = generation;
  }

  set(generation: unknown, id: unknown, delayMs: unknown): void {
    if (generation !== this.#generation || this.#generation === 0) return;
    if (typeof id !== 'number' || typeof delayMs !== 'number') return;
    const existing = this.#timers.get(id);
    if (existing !== undefined) clearTimeout(existing);
    else if (this.#timers.size >= this.#maxTimers) return;
    const delay = Number.isFinite(delayMs) ? Math.min(Math.max(delayMs, 0), 2 ** 31 - 1) : 0;
    const timer = setTimeout(() => {
      this.#timers.delete(id);
      this.#fire(generation, id);
    }, delay);
    timer.unref();
    this.#timers.set(id, timer);
  }

  clear(generation: unknown, id: unknown): void {
    if (generation !== this.#generation || typeof id !== 'number') return;
    const timer = this.#timers.get(id);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.#timers.delete(id);
  }

  clearAll(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
