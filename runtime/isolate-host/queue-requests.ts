/**
 * The child's side of ctx.queues sends from fetch and event handlers: the broker lives in the
 * parent, so each send is a request over IPC, answered once the parent has published it.
 */
import { FjordError, type ErrorData } from '../../core/errors.ts';
import type { QueueSend } from '../../core/messages.ts';
import type { QueuePublisher } from '../isolate/host-queue.ts';
import type { ChildMessage } from './host-protocol.ts';

export class QueueRequests {
  readonly #send: (message: ChildMessage) => void;
  readonly #waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  #nextId = 1;

  constructor(send: (message: ChildMessage) => void) {
    this.#send = send;
  }

  readonly publish: QueuePublisher = (sends) =>
    new Promise((resolve, reject) => {
      const id = this.#nextId++;
      try {
        this.#send({ type: 'queue', id, sends: sends as QueueSend[] });
      } catch {
        // JSON cannot encode a body the prelude would never produce (user code tampered with it).
        reject(new TypeError('queues.send: the body cannot be encoded as JSON'));
        return;
      }
      this.#waiting.set(id, { resolve, reject });
    });

  settle(id: number, error: ErrorData | undefined): void {
    const waiting = this.#waiting.get(id);
    if (waiting === undefined) return;
    this.#waiting.delete(id);
    if (error === undefined) waiting.resolve();
    else waiting.reject(FjordError.from(error));
  }
}
