// `NonRetryableError`, a global in the container as in an isolate (runtime/isolate/prelude/
// non-retryable-error.ts): thrown, it fails the invocation without retries, because the retry
// policy reads the error name.

export class NonRetryableError extends Error {
  /** @param {string} [message] @param {{ cause?: unknown }} [options] */
  constructor(message, options) {
    super(message, options);
    this.name = 'NonRetryableError';
  }
}

/** An instance (subclasses included) or any error with `retryable: false`. @param {object} thrown */
export function isNonRetryable(thrown) {
  try {
    return (
      thrown instanceof NonRetryableError ||
      /** @type {{ retryable?: unknown }} */ (thrown).retryable === false
    );
  } catch {
    return false;
  }
}

/** Defines the global the way Web IDL globals are: writable, configurable, not enumerable. */
export function installNonRetryableError() {
  Object.defineProperty(globalThis, 'NonRetryableError', {
    value: NonRetryableError,
    writable: true,
    enumerable: false,
    configurable: true,
  });
}
