/**
 * `ctx.queues` in an isolate: the sender both runtimes share (docker/shim/queue-sender.mts, where
 * its rules are), with the prelude's base64.
 */
import type { QueueSend } from '../../../core/messages.ts';
import { createQueueSender as sharedSender } from '../../../docker/shim/queue-sender.mts';
import { btoa } from './base64.ts';

/** Bytes as base64, with the prelude's btoa (an isolate has no Buffer). */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** The ctx.queues object, handing what each call sends (checked and encoded) to `deliver`. */
export function createQueueSender(deliver: (sends: QueueSend[]) => Promise<void>): object {
  return sharedSender(deliver, toBase64);
}
