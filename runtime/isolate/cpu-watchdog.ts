/**
 * Enforces fn.json `cpuMs`: polls the CPU time an isolate has used since the invocation began
 * and fires once it passes the limit. isolated-vm counts CPU time per isolate even while it runs
 * on its own thread, so a spinning function is caught without waiting for its wall-clock
 * deadline. Time spent waiting (timers, fetch) costs no CPU and does not count.
 */
export class CpuWatchdog {
  readonly limitMs: number;
  /** Resolves when the limit is passed; never, once stopped. */
  readonly exceeded: Promise<void>;
  #timer: NodeJS.Timeout | undefined;

  /** `cpuTime` reads the isolate's CPU time in ns (undefined once it is gone). */
  constructor(cpuTime: () => bigint | undefined, limitMs: number) {
    this.limitMs = limitMs;
    const start = cpuTime();
    // A few checks per limit, at most every 50 ms: cheap, and precise enough for a limit.
    const every = Math.min(50, Math.max(1, Math.floor(limitMs / 4)));
    this.exceeded = new Promise<void>((resolve) => {
      if (start === undefined) return;
      this.#timer = setInterval(() => {
        const now = cpuTime();
        if (now === undefined) return this.stop();
        if (Number(now - start) / 1e6 > limitMs) {
          this.stop();
          resolve();
        }
      }, every);
      this.#timer.unref();
    });
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
