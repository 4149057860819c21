/**
 * JSON over HTTP on a container's unix socket, on kept-alive connections so a warm invocation
 * costs one request/response on an open socket.
 */
import { Agent, request } from 'node:http';

/** The socket failed or the shim died: not an answer from the function. */
export class ShimTransportError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ShimTransportError';
  }
}

export class ShimClient {
  readonly socketPath: string;
  readonly #agent = new Agent({ keepAlive: true });
  readonly #maxReplyBytes: number;

  constructor(socketPath: string, maxReplyBytes: number) {
    this.socketPath = socketPath;
    this.#maxReplyBytes = maxReplyBytes;
  }

  /** POSTs `body` as JSON and parses the JSON reply; aborts with `signal`. */
  post(path: string, body: unknown, signal: AbortSignal): Promise<unknown> {
    const text = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          socketPath: this.socketPath,
          agent: this.#agent,
          path,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(text),
          },
          signal,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > this.#maxReplyBytes) {
              req.destroy(new ShimTransportError(`reply larger than ${this.#maxReplyBytes} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          res.on('error', (error) => reject(transportError(error)));
          res.on('end', () => {
            try {
              resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown);
            } catch (error) {
              reject(
                new ShimTransportError('the shim sent a reply that is not JSON', { cause: error }),
              );
            }
          });
        },
      );
      req.on('error', (error) => reject(transportError(error)));
      req.end(text);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

function transportError(error: Error): Error {
  // Aborts keep their own identity: the caller tells a deadline from a crash by its signal.
  if (error.name === 'AbortError' || error instanceof ShimTransportError) return error;
  return new ShimTransportError(`shim connection failed: ${error.message}`, { cause: error });
}
