/**
 * The watchdog of one host process's invocations: the child enforces each deadline itself, so an
 * invocation still unanswered once its deadline and a grace have passed means the process is
 * wedged. One periodic check while invocations are in flight finds that, instead of a timer per
 * invocation; the process is killed within a quarter of the grace (at most a second) of the due
 * time.
 */
import type { PendingReplies } from './pending-replies.ts';

export class WedgeSweep {
  readonly #pending: PendingReplies;
  readonly #everyMs: number;
  readonly #onWedged: (invocation: string) => void;
  #timer: NodeJS.Timeout | undefined;

  /** `onWedged` gets the id of an invocation left unanswered past its due time. */
  constructor(pending: PendingReplies, graceMs: number, onWedged: (invocation: string) => void) {
    this.#pending = pending;
    this.#everyMs = Math.min(1_000, Math.max(10, Math.floor(graceMs / 4)));
    this.#onWedged = onWedged;
  }

  /** An invocation went out: checks run until none is left in flight. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(this.#check, this.#everyMs);
    // The IPC channel keeps the node alive while invocations are in flight; this need not.
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  readonly #check = (): void => {
    if (this.#pending.invocations === 0) return this.stop();
    const wedged = this.#pending.overdue(Date.now());
    if (wedged === undefined) return;
    // Once is enough: the process's death settles every invocation in flight on it.
    this.stop();
    this.#onWedged(wedged);
  };
}
