/** Turns what a function threw into the wire error the host reports. */
import type { HostErrorCode, WireError } from '../protocol.ts';
import { inspect } from './format.ts';
import { isNonRetryable } from './non-retryable-error.ts';

/**
 * Errors the platform raised inside the isolate (a fetch the egress policy denied, ...), with
 * the code an invocation that does not catch them fails with. A WeakMap rather than a property,
 * so user code cannot dress up its own errors as platform faults.
 */
const platformErrors = new WeakMap<object, HostErrorCode>();

export function markPlatformError(error: Error, code: HostErrorCode): void {
  platformErrors.set(error, code);
  Object.defineProperty(error, 'code', { value: code, configurable: true, writable: true });
}

/** Reads a property without letting a hostile getter escape. */
function read(value: object, key: 'name' | 'message' | 'stack'): string | undefined {
  try {
    const field = (value as Record<string, unknown>)[key];
    return typeof field === 'string' ? field : undefined;
  } catch {
    return undefined;
  }
}

export function functionError(thrown: unknown): WireError {
  if (typeof thrown === 'object' && thrown !== null) {
    const message = read(thrown, 'message');
    if (message !== undefined) {
      // The wire carries the final verdict as the name the retry policy reads; the stack keeps
      // the original name for the reader.
      const name = isNonRetryable(thrown) ? 'NonRetryableError' : read(thrown, 'name');
      const stack = read(thrown, 'stack');
      return {
        ok: false,
        code: platformErrors.get(thrown) ?? 'FUNCTION_ERROR',
        message,
        ...(name === undefined ? {} : { name }),
        ...(stack === undefined ? {} : { stack }),
      };
    }
  }
  let text: string;
  try {
    text = inspect(thrown, 1);
  } catch {
    text = '[unprintable value]';
  }
  return {
    ok: false,
    code: 'FUNCTION_ERROR',
    message: `function threw a non-Error value: ${text}`,
  };
}

export function wireError(code: WireError['code'], message: string): WireError {
  return { ok: false, code, message };
}
