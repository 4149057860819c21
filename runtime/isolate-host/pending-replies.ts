/**
 * Requests sent to one host process and not answered yet, by correlation id. When the process
 * dies, every one of them is settled at once: invocations with the given failure, prewarm and
 * evict requests as done (their isolates died with the process).
 */
import type { FjordError } from '../../core/errors.ts';
import type { ExecutionOutcome } from '../../core/executor.ts';
import { failedOutcome } from './failed-outcome.ts';

type Pending =
  | { kind: 'invoke'; resolve: (outcome: ExecutionOutcome) => void; watchdog: NodeJS.Timeout }
  | { kind: 'control'; resolve: () => void };

export class PendingReplies {
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;

  /** Registers an invocation; `watchdog` is cleared when it is answered. */
  invocation(resolve: (outcome: ExecutionOutcome) => void, watchdog: NodeJS.Timeout): number {
    const id = this.#nextId++;
    this.#pending.set(id, { kind: 'invoke', resolve, watchdog });
    return id;
  }

  control(resolve: () => void): number {
    const id = this.#nextId++;
    this.#pending.set(id, { kind: 'control', resolve });
    return id;
  }

  /** Settles request `id` with the child's answer (an outcome for invocations). */
  answer(id: number, outcome?: ExecutionOutcome): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    if (pending.kind === 'control') return pending.resolve();
    clearTimeout(pending.watchdog);
    pending.resolve(outcome ?? failedOutcome(new Error('no outcome')));
  }

  /** Settles everything: the process is gone. */
  failAll(error: FjordError): void {
    for (const pending of this.#pending.values()) {
      if (pending.kind === 'control') pending.resolve();
      else {
        clearTimeout(pending.watchdog);
        pending.resolve(failedOutcome(error));
      }
    }
    this.#pending.clear();
  }
}
