/**
 * Blank isolates booted ahead of any function, as Cloudflare keeps them: an isolate and a context
 * from the prelude with the host bridge installed, tied to no version. A new version's first
 * invocation takes one and only compiles and runs its bundle, instead of paying for the isolate,
 * its context and the bridge (about 6 of a cold start's 10-14 ms, and 4 ms of it block the
 * node's main thread, where `new Isolate` deserialises the snapshot).
 *
 * A blank isolate is used once, by one version: taking it removes it from here for good, and it
 * is disposed with the instance that took it. No user code has run in it before. An isolate's
 * memory limit is fixed when it is made, so blanks serve only versions with the `memoryMb` they
 * were made with. New ones are made with the manifest's default (128) at first, then with the
 * size of the latest cold start that found none of its size. Blanks of an older size stay and
 * still serve versions of that size; each is disposed only when a blank of the current size is
 * ready to take its place, so at most `count` are kept.
 */
import type ivm from 'isolated-vm';
import type { Logger } from '../../core/logger.ts';
import { installBridge, type BridgeHandlers, type RuntimeRefs } from './host-bridge.ts';
import type { Prelude } from './prelude.ts';
import type { PreludeConfig } from './protocol.ts';

/** An isolate ready for a bundle; its bridge calls go to whoever {@link adopt}s it. */
export interface BlankIsolate {
  memoryMb: number;
  isolate: ivm.Isolate;
  context: ivm.Context;
  refs: RuntimeRefs;
  /** Routes the bridge's callbacks and the isolate's catastrophic errors to the new owner. */
  adopt(handlers: BridgeHandlers, onCatastrophicError: (message: string) => void): void;
}

export interface BlankIsolateOptions {
  /** Blank isolates kept ready. */
  count: number;
  /** The memory limit they are first made with (see the header). */
  memoryMb: number;
  config: PreludeConfig;
  logger?: Logger;
  /** Wait after a failed boot before the next try; it doubles with each failure in a row. */
  retryMs?: number;
}

/** The longest wait between tries after failed boots. */
const MAX_RETRY_MS = 60_000;

const IGNORE = (): void => {};

/**
 * A refill waits for a moment with no invocation in flight, because `new Isolate` blocks the
 * main thread for a few ms; under unbroken load it starts after this long anyway.
 */
const REFILL_LATEST_MS = 1000;

/**
 * Makes an isolate from the prelude with its context and host bridge, whose bridge calls and
 * error reports go to the owner that adopts it: booted ahead here, or at once by a cold start
 * that found no blank isolate.
 */
export async function bootIsolate(
  prelude: Prelude,
  memoryMb: number,
  config: PreludeConfig,
  warm = false,
): Promise<BlankIsolate> {
  // Nothing calls these before adoption: no code but the prelude has run in the isolate.
  let handlers: BridgeHandlers = {
    log: IGNORE,
    setTimer: IGNORE,
    clearTimer: IGNORE,
    hostCall: IGNORE,
  };
  let onError: (message: string) => void = IGNORE;
  const isolate = prelude.createIsolate({
    memoryLimit: memoryMb,
    onCatastrophicError: (message) => onError(message),
  });
  try {
    const context = await isolate.createContext();
    await prelude.install(isolate, context);
    const refs = await installBridge(
      context,
      {
        log: (...args) => handlers.log(...args),
        setTimer: (...args) => handlers.setTimer(...args),
        clearTimer: (...args) => handlers.clearTimer(...args),
        hostCall: (...args) => handlers.hostCall(...args),
      },
      config,
    );
    // Ahead of time, the first run of the Web APIs in this context costs nobody a request.
    if (warm) await prelude.warm(context);
    return {
      memoryMb,
      isolate,
      context,
      refs,
      adopt(owner, catastrophic) {
        handlers = owner;
        onError = catastrophic;
      },
    };
  } catch (error) {
    if (!isolate.isDisposed) isolate.dispose();
    throw error;
  }
}

export class BlankIsolates {
  readonly #prelude: Prelude;
  readonly #options: BlankIsolateOptions;
  readonly #ready: BlankIsolate[] = [];
  #booting = 0;
  #closed = false;
  /**
   * Failed boots in a row. After one, no blank boots until `#retryAt` (cold starts make their
   * own isolates meanwhile and report what fails); the wait doubles up to a minute, so a cause
   * that lasts costs one failed boot a minute, and a passing one (memory pressure) heals.
   */
  #failures = 0;
  #retryAt = 0;
  #retry: NodeJS.Timeout | undefined;
  #waiters: (() => void)[] = [];
  /** The size blanks are made with now. */
  #memoryMb: number;
  /** A refill is due: at the next idle moment, or when this timer fires. */
  #due: NodeJS.Timeout | undefined;
  #idleCheck = false;

  constructor(prelude: Prelude, options: BlankIsolateOptions) {
    this.#prelude = prelude;
    this.#options = options;
    this.#memoryMb = options.memoryMb;
  }

  /** Blank isolates ready now. */
  get ready(): number {
    return this.#ready.length;
  }

  /**
   * A blank isolate for a version with `memoryMb`, or undefined: none of that size is ready
   * (then the next ones are made with this size; the others stay until replaced).
   */
  take(memoryMb: number): BlankIsolate | undefined {
    const index = this.#ready.findIndex((blank) => blank.memoryMb === memoryMb);
    if (index >= 0) return this.#ready.splice(index, 1)[0];
    this.#memoryMb = memoryMb;
    return undefined;
  }

  /** Boots blank isolates in the background until `count` of the current size are ready or booting. */
  fill(): void {
    while (
      !this.#closed &&
      performance.now() >= this.#retryAt &&
      this.#current() + this.#booting < this.#options.count
    ) {
      this.#booting += 1;
      void this.#boot();
    }
  }

  /** Asks for a refill at the executor's next idle moment ({@link idle}), or soon anyway. */
  refillSoon(): void {
    if (this.#due !== undefined || this.#closed) return;
    this.#due = setTimeout(() => this.#refill(), REFILL_LATEST_MS);
    this.#due.unref();
  }

  /** No invocation is in flight now: a due refill starts after the current I/O, if still idle. */
  idle(busy: () => boolean): void {
    if (this.#due === undefined || this.#idleCheck) return;
    this.#idleCheck = true;
    setImmediate(() => {
      this.#idleCheck = false;
      if (!busy()) this.#refill();
    });
  }

  #refill(): void {
    clearTimeout(this.#due);
    this.#due = undefined;
    this.fill();
  }

  /** Resolves once no blank isolate is booting (all ready, or given up). */
  settled(): Promise<void> {
    if (this.#booting === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Disposes the ready ones; those still booting are disposed when they are done. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#due);
    clearTimeout(this.#retry);
    this.#due = undefined;
    for (const blank of this.#ready.splice(0)) dispose(blank.isolate);
  }

  async #boot(): Promise<void> {
    const { config, logger, retryMs } = this.#options;
    try {
      const blank = await bootIsolate(this.#prelude, this.#memoryMb, config, true);
      this.#failures = 0;
      if (this.#closed) dispose(blank.isolate);
      else this.#keep(blank);
    } catch (error) {
      // The same boot runs for every cold start: let those report what fails, one by one.
      this.#failures += 1;
      const waitMs = Math.min(MAX_RETRY_MS, (retryMs ?? 1000) * 2 ** (this.#failures - 1));
      this.#retryAt = performance.now() + waitMs;
      clearTimeout(this.#retry);
      // The timer may fire a little before performance.now() reaches #retryAt: it ends the wait.
      this.#retry = setTimeout(() => {
        this.#retryAt = 0;
        this.fill();
      }, waitMs);
      this.#retry.unref();
      logger?.warn(
        { err: error, retryMs: waitMs },
        'booting a blank isolate failed; cold starts make their own until the next try',
      );
    } finally {
      this.#booting -= 1;
      if (this.#booting === 0) for (const resolve of this.#waiters.splice(0)) resolve();
    }
  }

  /** Blanks ready of the size made now. */
  #current(): number {
    let count = 0;
    for (const blank of this.#ready) if (blank.memoryMb === this.#memoryMb) count += 1;
    return count;
  }

  /** Adds a booted blank; past `count`, the oldest blank of another size makes room for it. */
  #keep(blank: BlankIsolate): void {
    this.#ready.push(blank);
    while (this.#ready.length > this.#options.count) {
      const stale = this.#ready.findIndex((other) => other.memoryMb !== this.#memoryMb);
      // A boot of an older size finishing after the switch: it replaces nothing, so it goes.
      const [gone] = this.#ready.splice(stale >= 0 ? stale : this.#ready.length - 1, 1);
      if (gone !== undefined) dispose(gone.isolate);
    }
  }
}

function dispose(isolate: ivm.Isolate): void {
  if (isolate.isDisposed) return;
  try {
    isolate.dispose();
  } catch {
    // Already gone.
  }
}
