import { randomUUID } from 'node:crypto';

/**
 * Invocation and call ids: time-ordered enough to sort, random enough to be unguessable
 * (64 random bits as 16 hex digits). The bits come from a random UUID because Node draws those
 * from a pooled buffer of secure random bytes, refilled in chunks: about 5 times cheaper than
 * `randomBytes(8)` per id, without a pool of our own. The UUID's first 8 digits and the 8 after
 * its last dash are all random (its version and variant digits sit elsewhere).
 */
export function newId(): string {
  const uuid = randomUUID();
  return `${Date.now().toString(36)}-${uuid.slice(0, 8)}${uuid.slice(24, 32)}`;
}

export function newCallId(): string {
  return randomUUID();
}

/** A call id given by a client is echoed only when it is short and printable. */
export function acceptCallId(value: string | undefined): string | undefined {
  return value !== undefined && /^[\x21-\x7e]{1,128}$/.test(value) ? value : undefined;
}
