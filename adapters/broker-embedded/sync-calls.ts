import { FjordError } from '../../core/errors.ts';
import type { InvocationMessage, InvocationResult } from '../../core/messages.ts';

/** A sync invocation whose caller is waiting. */
export interface SyncCall {
  readonly message: InvocationMessage;
  readonly replyBy: number;
  /** Deliveries so far: the attempt number of the latest one. */
  deliveries: number;
}

interface Waiting extends SyncCall {
  readonly resolve: (result: InvocationResult) => void;
  readonly reject: (error: FjordError) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * Sync invocations, kept in memory only: each lives exactly as long as its caller waits, so
 * persisting it would cost a write on the latency path and buy nothing, since the caller's promise
 * dies with the process anyway. Replies are matched by message id in this instance only: a
 * consumer on another instance sharing the file never sees these messages (the embedded broker
 * serves one process; RabbitMQ is the multi-process broker).
 *
 * Messages and replies are handed over by reference, not serialized: both sides treat them as
 * immutable, and a request body then costs no copy.
 */
export class SyncCalls {
  readonly #now: () => number;
  readonly #waiting = new Map<string, Waiting>();
  /** Calls not delivered right now, FIFO per function. */
  readonly #queues = new Map<string, Waiting[]>();

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Queues a call; the promise settles with the reply or at `replyBy`. */
  start(message: InvocationMessage, replyBy: number): Promise<InvocationResult> {
    if (this.#waiting.has(message.id)) {
      return Promise.reject(new FjordError('CONFLICT', `call ${message.id} is already waiting`));
    }
    return new Promise<InvocationResult>((resolve, reject) => {
      const timer = setTimeout(() => this.#expire(message.id), Math.max(0, replyBy - this.#now()));
      const call: Waiting = { message, replyBy, deliveries: 0, resolve, reject, timer };
      this.#waiting.set(message.id, call);
      this.#queue(message.fn.name).push(call);
    });
  }

  /**
   * Takes up to `max` calls for `fn`, oldest first. A call whose caller has given up is dropped
   * here, at dispatch time, so no consumer ever gets it.
   */
  take(fn: string, max: number): SyncCall[] {
    const queue = this.#queues.get(fn);
    if (queue === undefined) return [];
    const taken: SyncCall[] = [];
    const now = this.#now();
    while (taken.length < max) {
      const call = queue.shift();
      if (call === undefined) break;
      if (this.#waiting.get(call.message.id) !== call) continue;
      if (now >= call.replyBy) {
        this.#expire(call.message.id);
        continue;
      }
      call.deliveries++;
      taken.push(call);
    }
    if (queue.length === 0) this.#queues.delete(fn);
    return taken;
  }

  /** How many calls of `fn` wait for a consumer (delivered ones are not counted). */
  countWaiting(fn: string): number {
    const queue = this.#queues.get(fn) ?? [];
    return queue.filter((call) => this.#waiting.get(call.message.id) === call).length;
  }

  /** Puts a delivered call back at the head of its queue, unless its caller gave up. */
  requeue(call: SyncCall): void {
    const waiting = this.#waiting.get(call.message.id);
    if (waiting !== call) return;
    if (this.#now() >= waiting.replyBy) this.#expire(call.message.id);
    else this.#queue(call.message.fn.name).unshift(waiting);
  }

  /** Resolves the caller waiting for `id`; false when nobody waits (any more). */
  reply(id: string, result: InvocationResult): boolean {
    const call = this.#waiting.get(id);
    if (call === undefined) return false;
    this.#settle(call);
    call.resolve(result);
    return true;
  }

  /** Rejects the callers of `fn` whose call was not delivered yet. */
  dropQueue(fn: string, error: FjordError): void {
    const queue = this.#queues.get(fn) ?? [];
    this.#queues.delete(fn);
    for (const call of queue) this.#fail(call, error);
  }

  /** Rejects every waiting caller (close). */
  rejectAll(error: FjordError): void {
    this.#queues.clear();
    for (const call of [...this.#waiting.values()]) this.#fail(call, error);
  }

  #expire(id: string): void {
    const call = this.#waiting.get(id);
    if (call === undefined) return;
    // Not delivered yet: remove it, so it cannot be delivered after its caller gave up.
    const queue = this.#queues.get(call.message.fn.name);
    const index = queue?.indexOf(call) ?? -1;
    if (index >= 0) queue?.splice(index, 1);
    this.#fail(
      call,
      new FjordError(
        'INVOCATION_TIMEOUT',
        `no reply from ${call.message.fn.name} before the deadline`,
      ),
    );
  }

  #fail(call: Waiting, error: FjordError): void {
    if (this.#waiting.get(call.message.id) !== call) return;
    this.#settle(call);
    call.reject(error);
  }

  #settle(call: Waiting): void {
    clearTimeout(call.timer);
    this.#waiting.delete(call.message.id);
  }

  #queue(fn: string): Waiting[] {
    let queue = this.#queues.get(fn);
    if (queue === undefined) {
      queue = [];
      this.#queues.set(fn, queue);
    }
    return queue;
  }
}
