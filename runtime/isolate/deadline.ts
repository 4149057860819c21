/** A wall-clock deadline (epoch ms) enforced from the host, where an isolate cannot stall it. */
export class Deadline {
  #at: number;
  readonly signal: AbortSignal;
  /** Resolves when the deadline passes; never, once cancelled. */
  readonly expired: Promise<void>;
  readonly #controller = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #expire: () => void = () => {};

  constructor(at: number) {
    this.#at = at;
    this.signal = this.#controller.signal;
    this.expired = new Promise<void>((resolve) => {
      this.#expire = () => {
        this.#controller.abort();
        resolve();
      };
    });
    this.#arm();
  }

  get at(): number {
    return this.#at;
  }

  /** Moves a deadline that has not passed to `at` (earlier or later). */
  moveTo(at: number): void {
    if (this.signal.aborted || at === this.#at) return;
    clearTimeout(this.#timer);
    this.#at = at;
    this.#arm();
  }

  cancel(): void {
    clearTimeout(this.#timer);
  }

  #arm(): void {
    this.#timer = setTimeout(this.#expire, Math.max(0, this.#at - Date.now()));
  }
}
