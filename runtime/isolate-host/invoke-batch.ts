/**
 * The invocations for one host process, sent in one message per event loop turn: the way out's
 * counterpart of outcome-batch.ts. A socket read of the broker delivers several invocations, and
 * the outcomes of one batch come back together and start their workers' next invocations in the
 * same turn; each message costs a JSON.stringify, a write syscall and a wake-up of the child, so
 * one for all of them costs much less than one each (bench/micro/isolate-host-hop.ts).
 *
 * The batch leaves when the turn's promise chains have run (a microtask that schedules a tick:
 * ticks queued from a microtask run once the microtask queue is empty), never later: no timer,
 * no immediate, so an invocation alone (c=1) waits for nothing. One invocation goes in the single
 * `invoke` form, several as `invokes`.
 */
import { FjordError } from '../../core/errors.ts';
import type { ParentMessage } from './host-protocol.ts';

/** One invocation, as the child gets it alone or within `invokes`. */
export type Invocation = Extract<ParentMessage, { type: 'invoke' }>;

const RESOLVED = Promise.resolve();

export class InvokeBatch {
  readonly #send: (message: ParentMessage) => void;
  readonly #fail: (id: number, error: FjordError) => void;
  #invocations: Invocation[] = [];

  /**
   * `send` throws when the channel cannot encode a message; `fail` settles an invocation that
   * could not be sent (its batch went without it).
   */
  constructor(
    send: (message: ParentMessage) => void,
    fail: (id: number, error: FjordError) => void,
  ) {
    this.#send = send;
    this.#fail = fail;
  }

  add(invocation: Invocation): void {
    this.#invocations.push(invocation);
    // A bare promise reaction: a little cheaper than queueMicrotask(), which checks async hooks.
    if (this.#invocations.length === 1) void RESOLVED.then(this.#atTurnEnd);
  }

  readonly #atTurnEnd = (): void => {
    process.nextTick(this.flush);
  };

  /** Sends what is queued now. */
  readonly flush = (): void => {
    const invocations = this.#invocations;
    if (invocations.length === 0) return;
    this.#invocations = [];
    const [only] = invocations;
    try {
      this.#send(
        invocations.length === 1 && only !== undefined ? only : { type: 'invokes', invocations },
      );
    } catch (error) {
      // One invocation the channel cannot encode must not take the others along.
      if (invocations.length === 1 && only !== undefined) this.#failed(only, error);
      else for (const invocation of invocations) this.#sendAlone(invocation);
    }
  };

  #sendAlone(invocation: Invocation): void {
    try {
      this.#send(invocation);
    } catch (error) {
      this.#failed(invocation, error);
    }
  }

  #failed(invocation: Invocation, error: unknown): void {
    const why = error instanceof Error ? error.message : String(error);
    this.#fail(
      invocation.id,
      new FjordError('INTERNAL', `the invocation could not be sent to its host process: ${why}`),
    );
  }
}
