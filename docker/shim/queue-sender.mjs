// ctx.queues in a container: the same send/sendBatch as the isolate prelude
// (runtime/isolate/prelude/queue-sender.ts). Where the messages go is the caller's `deliver`: a
// queue handler collects them and the host publishes them when it ends; fetch and event
// handlers ask the node at once (host-queue.mjs), so `await send()` resolves once the broker
// has the message.

const MAX_SENDS = 1000;

function encode(body, contentType) {
  const isBytes = body instanceof ArrayBuffer || ArrayBuffer.isView(body);
  const kind = contentType ?? (isBytes ? 'bytes' : 'json');
  if (kind === 'json') {
    const json = JSON.stringify(body);
    if (json === undefined) throw new TypeError('queues.send: the body cannot be encoded as JSON');
    return { body: { json: JSON.parse(json) }, contentType: 'application/json' };
  }
  if (kind === 'text') return { body: { text: String(body) }, contentType: 'text/plain' };
  if (kind === 'bytes') {
    if (!isBytes) throw new TypeError('queues.send: "bytes" needs an ArrayBuffer or a typed array');
    const bytes =
      body instanceof ArrayBuffer
        ? Buffer.from(body)
        : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    return { body: { base64: bytes.toString('base64') }, contentType: 'application/octet-stream' };
  }
  throw new TypeError('queues.send: contentType must be "json", "text" or "bytes"');
}

/**
 * The ctx.queues object, handing what each call sends (checked and encoded) to `deliver`.
 *
 * @param {(sends: object[]) => Promise<void>} deliver
 */
export function createQueueSender(deliver) {
  let count = 0;
  const encodeAll = (queue, requests) => {
    if (typeof queue !== 'string' || queue === '') {
      throw new TypeError('queues.send: the queue name must be a non-empty string');
    }
    if (count + requests.length > MAX_SENDS) {
      throw new RangeError(`queues.send: at most ${MAX_SENDS} messages per invocation`);
    }
    const sends = requests.map((r) => ({ queue, ...encode(r.body, r.contentType) }));
    count += sends.length;
    return sends;
  };
  // Async, so a bad call rejects the promise as a real send would, instead of throwing.
  return Object.freeze({
    send: async (queue, body, options) => {
      await deliver(encodeAll(queue, [{ body, contentType: options?.contentType }]));
    },
    sendBatch: async (queue, messages) => {
      const sends = encodeAll(
        queue,
        Array.from(messages, (m) => ({ body: m.body, contentType: m.contentType })),
      );
      if (sends.length > 0) await deliver(sends);
    },
  });
}
