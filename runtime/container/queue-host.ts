/**
 * `ctx.queues.send/sendBatch` of a container's fetch and event handlers, on the host. The
 * container has no way to the broker (no network unless its manifest asks, and never Fjord's
 * credentials): the shim asks the node instead, over HTTP on a second unix socket in the
 * container's own socket directory (`host.sock`, next to the shim's), and the node publishes as
 * it does for isolates (runtime/isolate/host-queue.ts: same checks, the 1000-message limit, the
 * same error codes, one hop).
 *
 * Each invocation gets a random token the shim sends back with its messages: a request is taken
 * only for an invocation running now in this container, and the codes handed out are remembered,
 * so an invocation can fail with QUEUE_NOT_FOUND or BROKER_UNAVAILABLE only when a send of its
 * own did (user code shares the shim's process and could claim any code).
 */
import { randomBytes } from 'node:crypto';
import { chmod } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ErrorCode, ErrorData } from '../../core/errors.ts';
import { isRecord } from '../reply-checks.ts';
import type { CallScope } from '../isolate/host-calls.ts';
import { HostCallError } from '../isolate/host-calls.ts';
import { queueOperation, type QueuePublisher } from '../isolate/host-queue.ts';

/** The socket's name in the container's socket directory (the shim finds it beside its own). */
export const HOST_SOCKET_NAME = 'host.sock';

/** Codes only a send of the invocation's own may give it. */
const QUEUE_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'QUEUE_NOT_FOUND',
  'QUEUE_LOOP_DETECTED',
  'EXCHANGE_NOT_FOUND',
  'BROKER_UNAVAILABLE',
]);

/** The largest request the shim may send: messages come from user code. */
const MAX_REQUEST_BYTES = 16 * 1024 * 1024;
const MAX_MESSAGE = 2000;
/** Sends are not aborted at the deadline: the broker may have the message already. */
const NEVER = new AbortController().signal;

interface Call extends CallScope {
  /** Codes this invocation's sends failed with. */
  codes: Set<string>;
}

export class QueueHost {
  readonly #operation: ReturnType<typeof queueOperation>;
  readonly #calls = new Map<string, Call>();
  readonly #server: Server;
  /** Set by close(): a listen() still to come (the boot races a removal) must not open it again. */
  #closed = false;

  constructor(publish: QueuePublisher | undefined) {
    this.#operation = queueOperation(publish);
    this.#server = createServer((request, response) => void this.#handle(request, response));
  }

  /** Listens on `path`, connectable by the container's user whoever the node runs as. */
  async listen(path: string): Promise<void> {
    if (this.#closed) return;
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(path, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    if (this.#closed) {
      this.#server.close();
      return;
    }
    await chmod(path, 0o666);
  }

  /** Registers an invocation: its sends are taken with the returned token until `end`. */
  begin(deadline: number): string {
    const token = randomBytes(16).toString('hex');
    this.#calls.set(token, {
      generation: 0,
      deadline,
      fetches: 0,
      queueSends: 0,
      codes: new Set(),
    });
    return token;
  }

  /**
   * Ends an invocation. The error its reply claims keeps a queue code only when one of its sends
   * failed with it; otherwise that is the function's own error (FUNCTION_ERROR).
   */
  end<T extends { ok: boolean; error?: ErrorData }>(token: string, reply: T): T {
    const call = this.#calls.get(token);
    this.#calls.delete(token);
    const code = reply.error?.code;
    if (reply.error === undefined || code === undefined || !QUEUE_CODES.has(code)) return reply;
    if (call?.codes.has(code) === true) return reply;
    return { ...reply, error: { ...reply.error, code: 'FUNCTION_ERROR' } };
  }

  /** Runs `invoke` as an invocation with a token (see {@link begin}, {@link end}). */
  async around<T extends { ok: boolean; error?: ErrorData }>(
    deadline: number,
    invoke: (token: string) => Promise<T>,
  ): Promise<T> {
    const token = this.begin(deadline);
    try {
      return this.end(token, await invoke(token));
    } finally {
      this.#calls.delete(token); // also when the invocation failed in transport
    }
  }

  /** True while the socket accepts connections. */
  get listening(): boolean {
    return this.#server.listening;
  }

  /** Stops listening, now or as soon as a listen() under way has opened the socket. */
  close(): void {
    this.#closed = true;
    this.#server.close();
    this.#server.closeAllConnections();
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let reply: unknown;
    try {
      if (request.method !== 'POST' || request.url !== '/queues/send') {
        throw new HostCallError('Error', `no route ${request.method} ${request.url}`);
      }
      const body = await readJson(request);
      const call = isRecord(body) && typeof body.token === 'string' && this.#calls.get(body.token);
      if (!call) {
        throw new HostCallError('Error', 'queues.send: the invocation that started it has ended');
      }
      try {
        await this.#operation(body, call, NEVER);
      } catch (error) {
        if (error instanceof HostCallError && error.code !== undefined) call.codes.add(error.code);
        throw error;
      }
      reply = { ok: true };
    } catch (error) {
      reply = { ok: false, error: toWire(error) };
    }
    const text = JSON.stringify(reply);
    response.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    response.end(text);
  }
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REQUEST_BYTES) {
      throw new HostCallError('RangeError', `queues.send: more than ${MAX_REQUEST_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new HostCallError('TypeError', 'queues.send: malformed messages');
  }
}

function toWire(error: unknown): { name: string; message: string; code?: string } {
  const name = error instanceof Error ? error.name : 'Error';
  const message = (error instanceof Error ? error.message : String(error)).slice(0, MAX_MESSAGE);
  const code = error instanceof HostCallError ? error.code : undefined;
  return code === undefined ? { name, message } : { name, message, code };
}
