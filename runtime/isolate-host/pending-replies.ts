/**
 * Requests sent to one host process and not answered yet, by correlation id. When the process
 * dies, every one of them is settled at once: invocations with the given failure, prewarm and
 * evict requests as done (their isolates died with the process).
 *
 * An invocation carries the time after which its silence means the process is wedged; one
 * periodic sweep ({@link PendingReplies.overdue}) finds those, instead of a timer armed and
 * cleared per invocation (each a Timeout object, and a timer list per distinct duration, on the
 * node's main thread).
 */
import type { FjordError } from '../../core/errors.ts';
import type { ExecutionOutcome } from '../../core/executor.ts';
import { failedOutcome } from './failed-outcome.ts';

type Pending =
  | {
      kind: 'invoke';
      resolve: (outcome: ExecutionOutcome) => void;
      /** Epoch ms after which no answer means the process is wedged. */
      answerBy: number;
      /** The invocation's id, for the reason a wedged process is killed. */
      invocation: string;
    }
  | { kind: 'control'; resolve: () => void };

export class PendingReplies {
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #invocations = 0;

  /** Registers invocation `invocation` (its id), to be answered by `answerBy` (epoch ms). */
  invocation(
    resolve: (outcome: ExecutionOutcome) => void,
    answerBy: number,
    invocation: string,
  ): number {
    const id = this.#nextId++;
    this.#pending.set(id, { kind: 'invoke', resolve, answerBy, invocation });
    this.#invocations += 1;
    return id;
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

  /** Settles everything: the process is gone. */
  failAll(error: FjordError): void {
    for (const pending of this.#pending.values()) {
      if (pending.kind === 'control') pending.resolve();
      else pending.resolve(failedOutcome(error));
    }
    this.#pending.clear();
    this.#invocations = 0;
  }
}
