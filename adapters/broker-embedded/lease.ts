/** Resolves or rejects a caller waiting for a settlement to be committed. */
export interface CommitWaiter {
  resolve(): void;
  reject(error: unknown): void;
}

/** How a consumer settled a delivery; `committed` is told once the settlement is durable. */
export type Settlement =
  { kind: 'ack' } | { kind: 'requeue'; delayMs: number; committed?: CommitWaiter };

/**
 * One message handed to a consumer of this instance and not settled yet: a leased row of the
 * message table, or an in-memory sync call. Settling twice is a no-op (RabbitMQ would close the
 * channel; here the second call is simply ignored).
 */
export class Lease<Payload> {
  readonly payload: Payload;
  /** 1 on first delivery, incremented on every redelivery. */
  readonly attempt: number;
  readonly #onSettle: (settlement: Settlement) => void;
  #settled = false;

  constructor(payload: Payload, attempt: number, onSettle: (settlement: Settlement) => void) {
    this.payload = payload;
    this.attempt = attempt;
    this.#onSettle = onSettle;
  }

  get settled(): boolean {
    return this.#settled;
  }

  ack(): void {
    this.#settle({ kind: 'ack' });
  }

  /** Makes the message available again, after `delayMs` for a durable one. */
  requeue(delayMs = 0): void {
    this.#settle({ kind: 'requeue', delayMs });
  }

  /**
   * Requeues after `delayMs` and resolves once that is committed (a plain requeue is
   * fire-and-forget). Rejects, leaving the lease unsettled, when it was settled already.
   */
  retry(delayMs: number): Promise<void> {
    if (this.#settled) return Promise.reject(new Error('delivery already settled'));
    return new Promise((resolve, reject) => {
      this.#settle({ kind: 'requeue', delayMs, committed: { resolve, reject } });
    });
  }

  #settle(settlement: Settlement): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#onSettle(settlement);
  }
}

/**
 * The delay before a message whose handler threw is delivered again: 100 ms doubling to 5 s,
 * so a handler that keeps failing costs a few wakeups a second instead of a hot loop.
 */
export function retryDelayMs(attempt: number): number {
  return Math.min(100 * 2 ** Math.max(0, attempt - 1), 5000);
}
