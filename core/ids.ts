import { randomBytes, randomUUID } from 'node:crypto';

/** Invocation and call ids: time-ordered enough to sort, random enough to be unguessable. */
export function newId(): string {
  return `${Date.now().toString(36)}-${randomBytes(8).toString('hex')}`;
}

export function newCallId(): string {
  return randomUUID();
}

/** A call id given by a client is echoed only when it is short and printable. */
export function acceptCallId(value: string | undefined): string | undefined {
  return value !== undefined && /^[\x21-\x7e]{1,128}$/.test(value) ? value : undefined;
}
