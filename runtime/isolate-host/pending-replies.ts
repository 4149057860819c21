/**
 * Requests sent to one host process and not answered yet, by correlation id. When the process
 * dies, every one of them is settled at once: invocations with the given failure, prewarm and
 * evict requests as done (their isolates died with the process).
 *
 * An invocation carries the time after which its silence means the process is wedged; one
 * periodic sweep ({@link PendingReplies.overdue}) finds those, instead of a timer armed and
 * cleared per invocation (each a Timeout object, and a timer list per distinct duration, on the
 * node's main thread).
 *
 * An invocation is `leased` once the child said it got its isolate. One sent ahead of busy
 * isolates waits for one before it starts, so when the process dies before it said so, it can be
 * handed back to be sent once more (`resendable`); any other is taken to have started at once
 * (its notice may still be on its way: a run that crashed the process must not crash the next).
 */
import type { FjordError } from '../../core/errors.ts';
import type { ExecutionOutcome } from '../../core/executor.ts';
import { failedOutcome } from './failed-outcome.ts';

/** An invocation in flight on the process, with what it takes to send it again. */
export interface PendingInvocation<R> {
  kind: 'invoke';
  request: R;
  resolve: (outcome: ExecutionOutcome) => void;
  /** Epoch ms after which no answer means the process is wedged. */
  answerBy: number;
  /** The invocation's id, for the reason a wedged process is killed. */
  invocation: string;
  /** The child said the run got its isolate. */
  leased: boolean;
  /**
   * Sent ahead of busy isolates, and not sent again before: a death before its lease hands it
   * back.
   */
  resendable: boolean;
}

type Pending<R> = PendingInvocation<R> | { kind: 'control'; resolve: () => void };

/** `R` is what an invocation was sent with, kept to send it again. */
export class PendingReplies<R = unknown> {
  readonly #pending = new Map<number, Pending<R>>();
  #nextId = 1;
  #invocations = 0;

  /**
   * Registers invocation `invocation` (its id), to be answered by `answerBy` (epoch ms); see
   * {@link PendingInvocation.resendable}.
   */
  invocation(
    request: R,
    resolve: (outcome: ExecutionOutcome) => void,
    answerBy: number,
    invocation: string,
    resendable = false,
  ): number {
    const id = this.#nextId++;
    this.#pending.set(id, {
      kind: 'invoke',
      request,
      resolve,
      answerBy,
      invocation,
      leased: false,
      resendable,
    });
    this.#invocations += 1;
    return id;
  }

  /** Invocation `id` got its isolate: it has started, and is due by `answerBy` now. */
  leased(id: number, answerBy: number): void {
    const pending = this.#pending.get(id);
    if (pending?.kind !== 'invoke') return;
    pending.leased = true;
    pending.answerBy = answerBy;
  }

  control(resolve: () => void): number {
    const id = this.#nextId++;
    this.#pending.set(id, { kind: 'control', resolve });
    return id;
  }

  /** Invocations not answered yet. */
  get invocations(): number {
    return this.#invocations;
  }

  /** Invocations not answered yet that the child said got their isolate (a count, for stats). */
  get started(): number {
    let started = 0;
    for (const pending of this.#pending.values()) {
      if (pending.kind === 'invoke' && pending.leased) started += 1;
    }
    return started;
  }

  /** The id of an invocation not answered by `now` (epoch ms), if there is one. */
  overdue(now: number): string | undefined {
    for (const pending of this.#pending.values()) {
      if (pending.kind === 'invoke' && pending.answerBy <= now) return pending.invocation;
    }
    return undefined;
  }

  /** Settles request `id` with the child's answer (an outcome for invocations). */
  answer(id: number, outcome?: ExecutionOutcome): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    if (pending.kind === 'control') return pending.resolve();
    this.#invocations -= 1;
    pending.resolve(outcome ?? failedOutcome(new Error('no outcome')));
  }

  /**
   * Settles everything: the process is gone. Resendable invocations that never got their isolate
   * there go to `again` when it is given (it settles them); the others fail.
   */
  failAll(error: FjordError, again?: (unstarted: PendingInvocation<R>) => void): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    this.#invocations = 0;
    for (const entry of pending) {
      if (entry.kind === 'control') entry.resolve();
      else if (again !== undefined && entry.resendable && !entry.leased) again(entry);
      else entry.resolve(failedOutcome(error));
    }
  }
}
