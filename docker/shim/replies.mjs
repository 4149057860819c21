// Reply shapes of the shim protocol (see runtime/container/shim-protocol.ts on the host side).
import { inspect } from 'node:util';
import { isNonRetryable } from './non-retryable-error.mjs';
import { platformCode } from './platform-errors.mjs';

/**
 * An error reply; `error` adds the function's own error name and stack.
 *
 * @param {string} code
 * @param {string} message
 * @param {Error} [error]
 */
export function errorReply(code, message, error) {
  const reply = { ok: /** @type {const} */ (false), error: { code, message } };
  if (error !== undefined) {
    if (typeof error.name === 'string') reply.error.name = error.name;
    if (typeof error.stack === 'string') reply.error.stack = error.stack;
  }
  return reply;
}

/** What a function threw, as an error reply. @param {unknown} thrown */
export function thrownReply(thrown) {
  if (typeof thrown === 'object' && thrown !== null) {
    const message = read(thrown, 'message');
    if (message !== undefined) {
      const reply = errorReply(platformCode(thrown) ?? 'FUNCTION_ERROR', message);
      // The verdict travels as the name the retry policy reads; the stack keeps the original.
      const name = isNonRetryable(thrown) ? 'NonRetryableError' : read(thrown, 'name');
      const stack = read(thrown, 'stack');
      if (name !== undefined) reply.error.name = name;
      if (stack !== undefined) reply.error.stack = stack;
      return reply;
    }
  }
  let text;
  try {
    text = inspect(thrown, { depth: 1 });
  } catch {
    text = '[unprintable value]';
  }
  return errorReply('FUNCTION_ERROR', `function threw a non-Error value: ${text}`);
}

/** Reads a property without letting a hostile getter escape. @param {object} value @param {string} key */
function read(value, key) {
  try {
    const field = /** @type {Record<string, unknown>} */ (value)[key];
    return typeof field === 'string' ? field : undefined;
  } catch {
    return undefined;
  }
}
