// What the queue code both runtimes share (queue-batch.mts, queue-sender.mts) needs from the one
// running it: base64 (Node's Buffer here, the prelude's atob/btoa in an isolate) and the shape
// of a thrown error (the shim protocol's).
import { thrownReply } from './replies.mjs';

/** @type {import('./queue-batch.mts').QueueRuntime} */
export const QUEUE_RUNTIME = Object.freeze({
  fromBase64: (text) => {
    const bytes = Buffer.from(text, 'base64');
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  },
  toBase64: (bytes) =>
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
  errorData: (thrown) => thrownReply(thrown).error,
});
