/**
 * `ctx.queues` of a queue handler: `send(queue, body, { contentType })` and
 * `sendBatch(queue, [{ body, contentType }])` publish into another queue trigger's queue, for
 * fan-out and chaining. Sends are collected and published by the host when the handler ends
 * (returned or threw), before any message of the batch is settled, so a chain is at-least-once
 * like everything else; `await send()` resolves once the message is taken. contentType follows
 * Cloudflare Queues: "json" (default; the value is JSON-encoded), "text" or "bytes".
 */
import type { QueueSend } from '../../../core/messages.ts';
import { btoa } from './base64.ts';

/** Taken before user code runs, so a function that patches JSON cannot change what is sent. */
const { parse, stringify } = JSON;

/** More sends than this in one batch is a runaway loop inside the handler. */
const MAX_SENDS = 1000;

type Kind = 'json' | 'text' | 'bytes';

interface SendRequest {
  body: unknown;
  contentType?: Kind;
}

function encode(body: unknown, contentType: unknown): Pick<QueueSend, 'body' | 'contentType'> {
  const isBytes = body instanceof ArrayBuffer || ArrayBuffer.isView(body);
  const kind = contentType ?? (isBytes ? 'bytes' : 'json');
  if (kind === 'json') {
    const json = stringify(body);
    if (json === undefined) throw new TypeError('queues.send: the body cannot be encoded as JSON');
    return { body: { json: parse(json) as unknown }, contentType: 'application/json' };
  }
  if (kind === 'text') return { body: { text: String(body) }, contentType: 'text/plain' };
  if (kind === 'bytes') {
    if (!isBytes) throw new TypeError('queues.send: "bytes" needs an ArrayBuffer or a typed array');
    const view =
      body instanceof ArrayBuffer
        ? new Uint8Array(body)
        : new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    let binary = '';
    for (const byte of view) binary += String.fromCharCode(byte);
    return { body: { base64: btoa(binary) }, contentType: 'application/octet-stream' };
  }
  throw new TypeError('queues.send: contentType must be "json", "text" or "bytes"');
}

/** The ctx.queues object, adding what it sends to `sends`. */
export function createQueueSender(sends: QueueSend[]): object {
  const add = (queue: unknown, body: unknown, contentType: unknown): void => {
    if (typeof queue !== 'string' || queue === '') {
      throw new TypeError('queues.send: the queue name must be a non-empty string');
    }
    if (sends.length >= MAX_SENDS) {
      throw new RangeError(`queues.send: at most ${MAX_SENDS} messages per invocation`);
    }
    sends.push({ queue, ...encode(body, contentType) });
  };
  // Async, so a bad call rejects the promise as a real send would, instead of throwing.
  return Object.freeze({
    send: async (queue: unknown, body: unknown, options?: { contentType?: Kind }) => {
      add(queue, body, options?.contentType);
    },
    sendBatch: async (queue: unknown, messages: Iterable<SendRequest>) => {
      for (const message of messages) add(queue, message.body, message.contentType);
    },
  });
}
