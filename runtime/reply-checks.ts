/**
 * Checks shared by the isolate and container executors for what user-controlled code sends back.
 * Both run the function next to code of ours (the prelude, the shim) that the function could
 * have tampered with, so a reply is data to validate, never trusted as typed.
 */
import { FjordError, type ErrorCode, type ErrorData } from '../core/errors.ts';

const MAX_MESSAGE = 4096;
const MAX_STACK = 16_384;
const MAX_NAME = 200;

/** A plain object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A list of `[name, value]` string pairs, as HTTP responses carry their headers. */
export function isHeaderList(value: unknown): value is [string, string][] {
  return (
    Array.isArray(value) &&
    value.every(
      (pair) =>
        Array.isArray(pair) &&
        pair.length === 2 &&
        typeof pair[0] === 'string' &&
        typeof pair[1] === 'string',
    )
  );
}

/**
 * Rebuilds the function's error from its fields, with message, name and stack clamped; undefined
 * when a field is missing or the code is not one of `codes` (a function cannot claim, say, a
 * platform fault).
 */
export function rebuildError(
  fields: Record<string, unknown>,
  codes: ReadonlySet<string>,
): ErrorData | undefined {
  const { code, message, name, stack } = fields;
  if (typeof code !== 'string' || !codes.has(code) || typeof message !== 'string') return undefined;
  const error = new FjordError(code as ErrorCode, message.slice(0, MAX_MESSAGE)).toData();
  if (typeof name === 'string') error.name = name.slice(0, MAX_NAME);
  if (typeof stack === 'string') error.stack = stack.slice(0, MAX_STACK);
  return error;
}

/** The value of an event handler sent as JSON text of at most `maxBytes`; undefined if it is not. */
export function parseJsonValue(json: unknown, maxBytes: number): { value: unknown } | undefined {
  if (typeof json !== 'string' || json.length > maxBytes) return undefined;
  try {
    return { value: JSON.parse(json) as unknown };
  } catch {
    return undefined;
  }
}
