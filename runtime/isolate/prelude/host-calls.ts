/**
 * The isolate's side of asynchronous host work (subtle crypto, fetch): each call gets an id,
 * the host answers through `settle`, and calls belong to the invocation that made them. When an
 * invocation ends, its unanswered calls are rejected, so a later invocation never waits on them.
 */
import type { HostBridge, HostCallOp, HostCallReply, WireHostError } from '../protocol.ts';
import { DOMException } from './dom-exception.ts';
import { markPlatformError } from './function-errors.ts';

interface Pending {
  generation: number;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

const DOM_NAMES = new Set([
  'AbortError',
  'DataError',
  'InvalidAccessError',
  'InvalidStateError',
  'NotSupportedError',
  'OperationError',
  'QuotaExceededError',
  'SyntaxError',
  'TimeoutError',
]);

/** Rebuilds the host's error as the kind of error Web APIs throw. */
function rebuild(error: WireHostError): Error {
  const message = String(error.message);
  let rebuilt: Error;
  if (error.name === 'TypeError') rebuilt = new TypeError(message);
  else if (error.name === 'RangeError') rebuilt = new RangeError(message);
  else if (DOM_NAMES.has(error.name)) rebuilt = new DOMException(message, error.name);
  else rebuilt = new Error(message);
  if (error.code !== undefined) markPlatformError(rebuilt, error.code);
  return rebuilt;
}

export class HostCalls {
  readonly #send: HostBridge['hostCall'];
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #generation = 0;

  constructor(send: HostBridge['hostCall']) {
    this.#send = send;
  }

  /** Hands calls to invocation `generation` (0: none); rejects what earlier ones left open. */
  reset(generation: number): void {
    if (generation === this.#generation) return;
    this.#generation = generation;
    for (const [id, pending] of this.#pending) {
      if (pending.generation === generation) continue;
      this.#pending.delete(id);
      pending.reject(new Error('host call cancelled: the invocation that started it has ended'));
    }
  }

  /** Starts `op`; the id lets {@link cancel} stop it. */
  start(
    op: Exclude<HostCallOp, 'cancel'>,
    args: unknown,
  ): { id: number; result: Promise<unknown> } {
    const id = this.#nextId++;
    const generation = this.#generation;
    if (generation === 0) {
      const error = new Error(`${op} is only available while the function handles an invocation`);
      return { id, result: Promise.reject(error) };
    }
    const result = new Promise<unknown>((resolve, reject) => {
      this.#pending.set(id, { generation, resolve, reject });
    });
    this.#send(generation, id, op, args);
    return { id, result };
  }

  call(op: Exclude<HostCallOp, 'cancel'>, args: unknown): Promise<unknown> {
    return this.start(op, args).result;
  }

  /** Asks the host to stop call `id`; its promise is settled by the caller. */
  cancel(id: number): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    this.#send(pending.generation, this.#nextId++, 'cancel', { id });
  }

  settle(generation: number, id: number, reply: HostCallReply): void {
    const pending = this.#pending.get(id);
    if (pending === undefined || pending.generation !== generation) return;
    this.#pending.delete(id);
    if (reply.ok) pending.resolve(reply.value);
    else pending.reject(rebuild(reply.error));
  }
}
