/**
 * `NonRetryableError`, a global in every isolate: a function throws it when another attempt
 * could never succeed (bad input, a rejected payment), and the invocation fails at once rather
 * than being retried and dead-lettered. The retry policy (core/retry-policy.ts) reads the name.
 */
export class NonRetryableError extends Error {
  constructor(message?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NonRetryableError';
  }
}

/**
 * Whether `thrown` asks not to be retried: an instance of the prelude's class (subclasses with
 * their own name included), or any object with `retryable: false`, the convention of Temporal's
 * `ApplicationFailure` and of errors thrown by SDKs. Reads no getter that could throw.
 */
export function isNonRetryable(thrown: object): boolean {
  try {
    return (
      thrown instanceof NonRetryableError || (thrown as { retryable?: unknown }).retryable === false
    );
  } catch {
    return false;
  }
}
