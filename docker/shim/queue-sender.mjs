// ctx.queues of a queue handler in a container: the same send/sendBatch as the isolate prelude
// (runtime/isolate/prelude/queue-sender.ts). Sends are collected; the host publishes them.

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

/** @param {object[]} sends */
export function createQueueSender(sends) {
  const add = (queue, body, contentType) => {
    if (typeof queue !== 'string' || queue === '') {
      throw new TypeError('queues.send: the queue name must be a non-empty string');
    }
    if (sends.length >= MAX_SENDS) {
      throw new RangeError(`queues.send: at most ${MAX_SENDS} messages per invocation`);
    }
    sends.push({ queue, ...encode(body, contentType) });
  };
  return Object.freeze({
    send: async (queue, body, options) => add(queue, body, options?.contentType),
    sendBatch: async (queue, messages) => {
      for (const message of messages) add(queue, message.body, message.contentType);
    },
  });
}
