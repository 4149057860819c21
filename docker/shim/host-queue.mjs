// ctx.queues of fetch and event handlers: the shim asks the node, over HTTP on the node's socket
// in this container's socket directory (runtime/container/queue-host.ts), with the invocation's
// token. The container never talks to the broker itself.
import { dirname, join } from 'node:path';
import { markPlatformError } from './platform-errors.mjs';

// Not an `import` of node:http: its ES module view loads fetch (undici) at start-up (main.mjs).
const { Agent, request } = process.getBuiltinModule('node:http');

const HOST_SOCKET =
  process.env.FJORD_HOST_SOCKET ??
  join(dirname(process.env.FJORD_SOCKET ?? '/run/fjord/shim.sock'), 'host.sock');
const agent = new Agent({ keepAlive: true });

/** @param {unknown} body @returns {Promise<any>} */
function post(body) {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: HOST_SOCKET,
        agent,
        path: '/queues/send',
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
      },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch (error) {
            reject(error);
          }
        });
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

/** Rebuilds the node's refusal as the error the isolate runtime throws for it. */
function rebuild(error) {
  const message = String(error?.message ?? 'queues.send failed');
  const rebuilt =
    error?.name === 'TypeError'
      ? new TypeError(message)
      : error?.name === 'RangeError'
        ? new RangeError(message)
        : new Error(message);
  if (typeof error?.code === 'string') markPlatformError(rebuilt, error.code);
  return rebuilt;
}

/**
 * The `deliver` of fetch and event handlers' ctx.queues: resolves once the node's broker has
 * the messages, rejects with the reason it does not (code QUEUE_NOT_FOUND, BROKER_UNAVAILABLE...).
 *
 * @param {string | undefined} token
 */
export function hostDeliver(token) {
  return async (sends) => {
    let reply;
    try {
      reply = await post({ token, sends });
    } catch (error) {
      const failure = new Error(`queues.send: the node did not answer (${String(error)})`);
      markPlatformError(failure, 'BROKER_UNAVAILABLE');
      throw failure;
    }
    if (reply?.ok !== true) throw rebuild(reply?.error);
  };
}
