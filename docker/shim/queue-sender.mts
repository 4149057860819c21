/**
 * `ctx.queues` of every handler, in both runtimes: the isolate prelude bundles this file
 * (through runtime/isolate/prelude/queue-sender.ts) and the container shim loads it as it is (Node
 * strips the types of an .mts file), so it uses no API of either; base64 comes from the caller.
 *
 * `send(queue, body, { contentType })` and `sendBatch(queue, [{ body, contentType }])` publish
 * into a queue trigger's queue, for fan-out and chaining; `publish(exchange, routingKey, body,
 * { contentType })` to an exchange, into every queue bound to it by a matching key. contentType
 * follows Cloudflare Queues: "json" (default; the value is JSON-encoded), "text" or "bytes". Where the messages go is the
 * caller's `deliver`:
 * - a queue handler collects them; the host publishes them when the handler ends (returned or
 *   threw), before any message of the batch is settled, so a chain is at-least-once like
 *   everything else;
 * - fetch and event handlers publish at once (a host call in an isolate, a request to the node
 *   in a container), so `await send()` resolves once the broker has the message and rejects
 *   when it cannot take it.
 */
import type { QueueSend } from '../../core/messages.ts';

/** Taken before user code runs, so a function that patches JSON cannot change what is sent. */
const { parse, stringify } = JSON;

/** More sends than this in one invocation is a runaway loop inside the handler. */
const MAX_SENDS = 1000;

type Kind = 'json' | 'text' | 'bytes';

interface SendRequest {
  body: unknown;
  contentType?: Kind;
}

function encode(
  body: unknown,
  contentType: unknown,
  toBase64: (bytes: Uint8Array) => string,
): Pick<QueueSend, 'body' | 'contentType'> {
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
    return { body: { base64: toBase64(view) }, contentType: 'application/octet-stream' };
  }
  throw new TypeError('queues.send: contentType must be "json", "text" or "bytes"');
}

/** The ctx.queues object, handing what each call sends (checked and encoded) to `deliver`. */
export function createQueueSender(
  deliver: (sends: QueueSend[]) => Promise<void>,
  toBase64: (bytes: Uint8Array) => string,
): object {
  let count = 0;
  const assertRoom = (more: number): void => {
    if (count + more > MAX_SENDS) {
      throw new RangeError(`queues.send: at most ${MAX_SENDS} messages per invocation`);
    }
  };
  const encodeAll = (queue: unknown, requests: SendRequest[]): QueueSend[] => {
    if (typeof queue !== 'string' || queue === '') {
      throw new TypeError('queues.send: the queue name must be a non-empty string');
    }
    assertRoom(requests.length);
    const sends = requests.map((r) => ({ queue, ...encode(r.body, r.contentType, toBase64) }));
    count += sends.length;
    return sends;
  };
  // Async, so a bad call rejects the promise as a real send would, instead of throwing.
  return Object.freeze({
    send: async (queue: unknown, body: unknown, options?: { contentType?: Kind }) => {
      await deliver(encodeAll(queue, [{ body, contentType: options?.contentType }]));
    },
    sendBatch: async (queue: unknown, messages: Iterable<SendRequest>) => {
      const sends = encodeAll(
        queue,
        Array.from(messages, (m) => ({ body: m.body, contentType: m.contentType })),
      );
      if (sends.length > 0) await deliver(sends);
    },
    publish: async (
      exchange: unknown,
      routingKey: unknown,
      body: unknown,
      options?: { contentType?: Kind },
    ) => {
      if (typeof exchange !== 'string' || exchange === '') {
        throw new TypeError('queues.publish: the exchange name must be a non-empty string');
      }
      if (typeof routingKey !== 'string') {
        throw new TypeError('queues.publish: the routing key must be a string');
      }
      assertRoom(1);
      const send = {
        queue: '',
        exchange,
        routingKey,
        ...encode(body, options?.contentType, toBase64),
      };
      count += 1;
      await deliver([send]);
    },
  });
}
