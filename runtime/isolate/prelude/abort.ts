/**
 * AbortController and AbortSignal (with `abort`, `timeout` and `any`), on event-target-shim's
 * EventTarget. `AbortSignal.timeout` uses the isolate's timers, so it belongs to the invocation
 * that created it, like every timer.
 */
import { EventTarget, getEventAttributeValue, setEventAttributeValue } from 'event-target-shim';
import { DOMException } from './dom-exception.ts';
import { Event } from './events.ts';

/** Schedules a callback; the install step hands over the isolate's setTimeout. */
export type Schedule = (callback: () => void, delayMs: number) => void;

const CONSTRUCT = Symbol('construct');
let signalAbort: (signal: AbortSignal, reason: unknown) => void;
let schedule: Schedule = () => {
  throw new TypeError('AbortSignal.timeout is not available before the runtime started');
};

/** Wires AbortSignal.timeout to the isolate's timers (called once, at install). */
export function useTimers(next: Schedule): void {
  schedule = next;
}

export class AbortSignal extends EventTarget {
  #aborted = false;
  #reason: unknown = undefined;

  static {
    signalAbort = (signal, reason) => signal.#abort(reason);
  }

  constructor(key?: typeof CONSTRUCT) {
    if (key !== CONSTRUCT) throw new TypeError('Illegal constructor');
    super();
  }

  static abort(reason?: unknown): AbortSignal {
    const signal = new AbortSignal(CONSTRUCT);
    signal.#abort(reason);
    return signal;
  }

  static timeout(milliseconds: number): AbortSignal {
    const ms = Number(milliseconds);
    if (!Number.isFinite(ms) || ms < 0) {
      throw new TypeError('AbortSignal.timeout: milliseconds must be a non-negative number');
    }
    const signal = new AbortSignal(CONSTRUCT);
    schedule(() => {
      signal.#abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    }, ms);
    return signal;
  }

  static any(signals: Iterable<AbortSignal>): AbortSignal {
    const list = [...signals];
    const result = new AbortSignal(CONSTRUCT);
    const aborted = list.find((s) => s.aborted);
    if (aborted !== undefined) {
      result.#abort(aborted.reason);
      return result;
    }
    const onAbort = (event: { target: unknown }): void => {
      result.#abort((event.target as AbortSignal).reason);
      for (const s of list) s.removeEventListener('abort', onAbort);
    };
    for (const s of list) s.addEventListener('abort', onAbort);
    return result;
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#reason;
  }

  get onabort(): unknown {
    return getEventAttributeValue(this, 'abort');
  }

  set onabort(handler: unknown) {
    setEventAttributeValue(
      this,
      'abort',
      typeof handler === 'function' ? (handler as (event: Event) => void) : null,
    );
  }

  throwIfAborted(): void {
    if (this.#aborted) throw this.#reason;
  }

  #abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason =
      reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
    this.dispatchEvent(new Event('abort'));
  }

  get [Symbol.toStringTag](): string {
    return 'AbortSignal';
  }
}

export class AbortController {
  readonly #signal = new AbortSignal(CONSTRUCT);

  get signal(): AbortSignal {
    return this.#signal;
  }

  abort(reason?: unknown): void {
    signalAbort(this.#signal, reason);
  }

  get [Symbol.toStringTag](): string {
    return 'AbortController';
  }
}
