/**
 * Invocations waiting for a host process to become ready, each until its own deadline. The
 * process calls {@link ReadyWaiters.settle} on every state change with its verdict: go ahead,
 * fail (crash loop, shut down), or keep waiting.
 */
import { FjordError } from '../../core/errors.ts';

/** true: go ahead; an error: give up with it; undefined: keep waiting. */
export type Verdict = true | FjordError | undefined;

interface Waiter {
  resolve: () => void;
  reject: (error: FjordError) => void;
  timer: NodeJS.Timeout;
}

export class ReadyWaiters {
  readonly #waiting = new Set<Waiter>();

  /** Resolves when the verdict is true, rejects with its error or at `deadline` (epoch ms). */
  wait(deadline: number, verdict: () => Verdict): Promise<void> {
    const now = verdict();
    if (now === true) return Promise.resolve();
    if (now !== undefined) return Promise.reject(now);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(
          () => {
            this.#waiting.delete(waiter);
            reject(
              new FjordError(
                'INVOCATION_TIMEOUT',
                'the isolate host process was not ready before the deadline',
              ),
            );
          },
          Math.max(0, deadline - Date.now()),
        ),
      };
      this.#waiting.add(waiter);
    });
  }

  settle(verdict: Verdict): void {
    if (verdict === undefined) return;
    for (const waiter of this.#waiting) {
      clearTimeout(waiter.timer);
      if (verdict === true) waiter.resolve();
      else waiter.reject(verdict);
    }
    this.#waiting.clear();
  }
}
