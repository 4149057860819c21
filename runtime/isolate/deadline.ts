/** A wall-clock deadline (epoch ms) enforced from the host, where an isolate cannot stall it. */
export class Deadline {
  readonly at: number;
  readonly signal: AbortSignal;
  /** Resolves when the deadline passes; never, once cancelled. */
  readonly expired: Promise<void>;
  readonly #controller = new AbortController();
  #timer: NodeJS.Timeout | undefined;

  constructor(at: number) {
    this.at = at;
    this.signal = this.#controller.signal;
    this.expired = new Promise<void>((resolve) => {
      this.#timer = setTimeout(
        () => {
          this.#controller.abort();
          resolve();
        },
        Math.max(0, at - Date.now()),
      );
    });
  }

  cancel(): void {
    clearTimeout(this.#timer);
  }
}
