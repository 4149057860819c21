import { CALLBACK_HEADERS, type InvocationView } from '../../core/api.ts';
import type { Logger } from '../../core/logger.ts';
import { backoffMs } from '../../core/retry-policy.ts';
import type { CallbackOutcome, CallbackTask, Store } from '../../core/store.ts';
import { toAttemptView } from '../delivery-views.ts';
import { toInvocationView } from '../views.ts';
import { leaseMs, type CallbackOptions } from './callback-options.ts';

/** Logs sent with a callback; the full log stays available through the API. */
const CALLBACK_LOG_LIMIT = 100;

export interface CallbackDispatcherDeps {
  store: Store;
  logger: Logger;
  now: () => number;
  options: CallbackOptions;
}

/**
 * POSTs the final InvocationView of an async invocation to its `X-Callback-Url`. Due callbacks
 * live in the store (so they survive a restart) and are leased per try, so several gateways
 * share them and a gateway that dies mid-try only delays one. A failed try (an answer other than
 * 2xx, a timeout, a refused connection) is retried with backoff, then given up on; either way
 * the outcome is recorded on the invocation. Delivery is at-least-once: receivers should
 * deduplicate by `X-Fjord-Invocation-Id`.
 */
export class CallbackDispatcher {
  readonly #deps: CallbackDispatcherDeps;
  readonly #log: Logger;
  readonly #inflight = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #woken: NodeJS.Immediate | undefined;
  #running = false;
  #ticking = false;
  #again = false;
  /**
   * Callbacks registered through this gateway and not yet claimed by it (an upper bound: one
   * claimed by another gateway stays counted). While it is 0, a result burst ending here cannot
   * have made one of them due, and wake() leaves the store alone: most invocations have no
   * callback. Those registered elsewhere, or before a restart, are found by the poll.
   */
  #expected = 0;

  constructor(deps: CallbackDispatcherDeps) {
    this.#deps = deps;
    this.#log = deps.logger.child({ part: 'callbacks' });
  }

  start(): void {
    this.#running = true;
    this.#look();
  }

  /** Counts a callback registered through this gateway (an invocation accepted with one). */
  expect(): void {
    this.#expected++;
  }

  /**
   * Looks for due callbacks soon (an invocation just ended here), if a callback registered
   * through this gateway is not claimed yet. Wakes of one event-loop turn (a batch of results)
   * make one look.
   */
  wake(): void {
    if (this.#expected > 0) this.#look();
  }

  /** Looks for due callbacks in the next turn of the event loop. */
  #look(): void {
    if (!this.#running || this.#woken !== undefined) return;
    this.#woken = setImmediate(() => {
      this.#woken = undefined;
      clearTimeout(this.#timer);
      this.#timer = undefined;
      void this.#tick();
    });
  }

  /** Stops looking; tries in flight finish (each within the POST timeout). */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    if (this.#woken !== undefined) clearImmediate(this.#woken);
    this.#woken = undefined;
    await Promise.allSettled([...this.#inflight]);
  }

  async #tick(): Promise<void> {
    if (this.#ticking) {
      this.#again = true;
      return;
    }
    this.#ticking = true;
    try {
      do {
        this.#again = false;
        await this.#claimAndSend();
      } while (this.#again && this.#running);
    } catch (error) {
      this.#log.warn({ err: error }, 'could not look for due callbacks');
    } finally {
      this.#ticking = false;
      if (this.#running) {
        this.#timer = setTimeout(() => void this.#tick(), this.#deps.options.pollMs);
        this.#timer.unref();
      }
    }
  }

  async #claimAndSend(): Promise<void> {
    const { store, now, options } = this.#deps;
    const free = options.concurrency - this.#inflight.size;
    if (free <= 0) return;
    const at = now();
    const tasks = await store.claimCallbacks(at, free, at + leaseMs(options));
    this.#expected = Math.max(0, this.#expected - tasks.length);
    for (const task of tasks) {
      const work = this.#send(task).catch((error: unknown) =>
        this.#log.error({ err: error, id: task.invocationId }, 'callback try not recorded'),
      );
      this.#inflight.add(work);
      void work.finally(() => {
        this.#inflight.delete(work);
        this.#look(); // a slot is free: more may be due
      });
    }
  }

  async #send(task: CallbackTask): Promise<void> {
    const { store, now } = this.#deps;
    const view = await this.#view(task.invocationId);
    const outcome = view === undefined ? undefined : await this.#post(task, view);
    const recorded: CallbackOutcome = outcome ?? {
      at: now(),
      delivered: false,
      error: 'the invocation record is gone',
    };
    await store.recordCallbackAttempt(task.invocationId, recorded);
    const log = { id: task.invocationId, try: task.attempts + 1, status: recorded.status };
    if (recorded.delivered) this.#log.debug(log, 'callback delivered');
    else
      this.#log.warn({ ...log, error: recorded.error, nextAt: recorded.nextAt }, 'callback failed');
  }

  async #view(id: string): Promise<InvocationView | undefined> {
    const { store } = this.#deps;
    const record = await store.getInvocation(id);
    if (record === undefined) return undefined;
    const logs = await store.listLogs(record.fn, { invocationId: id, limit: CALLBACK_LOG_LIMIT });
    const view = toInvocationView(record, logs);
    view.history = (await store.listAttempts(id)).map((a) => toAttemptView(a, record.callId));
    return view;
  }

  async #post(task: CallbackTask, view: InvocationView): Promise<CallbackOutcome> {
    const { now, options } = this.#deps;
    const tries = task.attempts + 1;
    let status: number | undefined;
    let error: string | undefined;
    try {
      const response = await fetch(task.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'fjord-callback',
          [CALLBACK_HEADERS.callId]: view.callId,
          [CALLBACK_HEADERS.invocationId]: view.id,
          [CALLBACK_HEADERS.status]: view.status,
          [CALLBACK_HEADERS.attempt]: String(view.attempts),
          [CALLBACK_HEADERS.delivery]: String(tries),
        },
        body: JSON.stringify(view),
        // A redirect is an answer other than 2xx; following it could lead anywhere.
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      status = response.status;
      await response.body?.cancel();
      if (status >= 200 && status < 300) return { at: now(), delivered: true, status };
      error = `the receiver answered ${status}`;
    } catch (failure) {
      error = describeFailure(failure, options.timeoutMs);
    }
    const backoff = { initialMs: options.initialDelayMs, maxMs: options.maxDelayMs, multiplier: 2 };
    const outcome: CallbackOutcome = { at: now(), delivered: false, error };
    if (status !== undefined) outcome.status = status;
    if (tries < options.maxAttempts) outcome.nextAt = now() + backoffMs(backoff, tries);
    return outcome;
  }
}

/** fetch() rejects with "fetch failed" and the socket error as its cause. */
function describeFailure(error: unknown, timeoutMs: number): string {
  if ((error as { name?: unknown }).name === 'TimeoutError') {
    return `no answer within ${timeoutMs} ms`;
  }
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return `could not connect: ${cause.code}`;
  return error instanceof Error ? error.message : String(error);
}
