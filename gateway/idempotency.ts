import { createHash } from 'node:crypto';
import { FjordError } from '../core/errors.ts';
import type { InvocationPayload } from '../core/messages.ts';

/** Printable ASCII without spaces, as the IETF draft's examples and Stripe's keys are. */
const KEY = /^[\x21-\x7e]{1,255}$/;

/** The `Idempotency-Key` header, or undefined when absent; 400 when it cannot be a key. */
export function parseIdempotencyKey(value: string): string | undefined {
  if (value === '') return undefined;
  // Quotes are optional (the IETF draft makes the key a structured-field string).
  const key =
    value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
  if (!KEY.test(key)) {
    throw new FjordError(
      'INVALID_IDEMPOTENCY_KEY',
      'Idempotency-Key must be 1-255 printable ASCII characters without spaces',
    );
  }
  return key;
}

/**
 * What a request asked for, reduced to a hash, so that a key sent again with another request
 * is told apart from a retry of the same one. An HTTP request counts by method, path, query and
 * body: headers differ between honest retries (dates, tracing ids).
 */
export function fingerprintOf(payload: InvocationPayload): string {
  const hash = createHash('sha256');
  if (payload.kind === 'event') {
    hash.update(`event\n${JSON.stringify(payload.data)}`);
  } else {
    const { method, url, body } = payload.request;
    const target = new URL(url);
    hash.update(`http\n${method}\n${target.pathname}${target.search}\n${body ?? ''}`);
  }
  return hash.digest('base64url');
}
