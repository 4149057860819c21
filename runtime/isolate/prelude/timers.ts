/**
 * setTimeout/setInterval backed by host timers. Timers belong to the invocation that set them:
 * when it ends they are cancelled (work after the response goes through ctx.waitUntil), so a
 * timer never fires into the next invocation.
 */
import type { HostBridge } from '../protocol.ts';

type TimerCallback = (...args: unknown[]) => void;

interface Timer {
  callback: TimerCallback;
  args: unknown[];
  /** Repeat delay for setInterval; null for setTimeout. */
  repeat: number | null;
}

const MAX_DELAY = 2 ** 31 - 1;

export class Timers {
  readonly #host: Pick<HostBridge, 'setTimer' | 'clearTimer'>;
  readonly #maxTimers: number;
  readonly #onError: (error: unknown) => void;
  readonly #timers = new Map<number, Timer>();
  #nextId = 1;
  /** Generation of the invocation that owns the timers; 0 when idle. */
  #generation = 0;

  constructor(
    host: Pick<HostBridge, 'setTimer' | 'clearTimer'>,
    maxTimers: number,
    onError: (error: unknown) => void,
  ) {
    this.#host = host;
    this.#maxTimers = maxTimers;
    this.#onError = onError;
  }

  /** Starts a new owner; timers of the previous one are forgotten. */
  reset(generation: number): void {
    if (generation === this.#generation) return;
    this.#timers.clear();
    this.#generation = generation;
  }

  set(callback: unknown, delay: unknown, args: unknown[], repeating: boolean): number {
    if (typeof callback !== 'function') {
      throw new TypeError('The "callback" argument must be of type function');
    }
    if (this.#timers.size >= this.#maxTimers) {
      throw new RangeError(`too many pending timers (limit ${this.#maxTimers})`);
    }
    const ms = Math.min(MAX_DELAY, Math.max(0, Number(delay) || 0));
    const id = this.#nextId++;
    this.#timers.set(id, {
      callback: callback as TimerCallback,
      args,
      repeat: repeating ? Math.max(1, ms) : null,
    });
    if (this.#generation !== 0) this.#host.setTimer(this.#generation, id, ms);
    return id;
  }

  clear(id: unknown): void {
    const key = Number(id);
    if (!this.#timers.delete(key)) return;
    if (this.#generation !== 0) this.#host.clearTimer(this.#generation, key);
  }

  fire(generation: number, id: number): void {
    if (generation !== this.#generation) return;
    const timer = this.#timers.get(id);
    if (timer === undefined) return;
    if (timer.repeat === null) this.#timers.delete(id);
    else this.#host.setTimer(generation, id, timer.repeat);
    try {
      timer.callback(...timer.args);
    } catch (error) {
      this.#onError(error);
    }
  }
}
