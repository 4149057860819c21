/** How the gateway delivers `X-Callback-Url` callbacks. */
export interface CallbackOptions {
  /**
   * How often the store is asked for due callbacks. The result of an invocation accepted with a
   * callback through this gateway wakes it at once; others' (another gateway's, or accepted
   * before a restart) are found within this.
   */
  pollMs: number;
  /** How long one POST may take. */
  timeoutMs: number;
  /** Tries in all before a callback is given up on (`failed`). */
  maxAttempts: number;
  /** Backoff between tries: doubles from the first delay up to the longest, with jitter. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** POSTs in flight at once per gateway. */
  concurrency: number;
}

/** Eight tries within about two minutes (delays 1 s doubling, with jitter), each within 10 s. */
export const DEFAULT_CALLBACK_OPTIONS: CallbackOptions = {
  pollMs: 1000,
  timeoutMs: 10_000,
  maxAttempts: 8,
  initialDelayMs: 1000,
  maxDelayMs: 120_000,
  concurrency: 16,
};

/**
 * How long a try holds its callback: past the POST's own timeout, so that only a gateway that
 * died mid-try lets another one try again.
 */
export function leaseMs(options: CallbackOptions): number {
  return options.timeoutMs * 2 + 5000;
}
