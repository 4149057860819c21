/**
 * The host process's outcomes, sent to the parent in one message per event loop turn. Under load
 * several invocations finish in the same turn (each isolate's answer arrives as its own callback,
 * so a microtask would batch nothing; an immediate batches about three at c=10): one write and
 * one wake-up of the parent instead of one each, about 10% less CPU per invocation at c=10
 * (bench/micro/isolate-host-hop.ts). The last invocation in flight goes at once: nothing could
 * join it, and waiting for the turn's end would put the executor's cleanup after it before the
 * parent hears of it (slower at c=1).
 *
 * Lease notices (a run got its isolate, and must end by its run deadline) ride along with the
 * outcomes, so they cost no message of their own. That of a run sent ahead of busy isolates
 * leaves with this turn's batch: its isolate came free with the outcome of the run before it,
 * which leaves on the next turn, and until the parent hears of the lease it takes the run for
 * one that never started (a crash sends it to the restarted process, host-process.ts). Other
 * runs count as started at once; their notice only moves the parent's wedge watch, and waits up
 * to {@link LEASE_NOTICE_MS} for an outcome to ride with (a short run's own).
 */
import { FjordError } from '../../core/errors.ts';
import type { ExecutionOutcome } from '../../core/executor.ts';
import { failedOutcome } from './failed-outcome.ts';
import type { ChildMessage } from './host-protocol.ts';

type Result = { id: number; outcome: ExecutionOutcome };

/** How long a lease notice waits for an outcome to leave with. */
export const LEASE_NOTICE_MS = 10;

export class OutcomeBatch {
  readonly #send: (message: ChildMessage) => void;
  readonly #instances: () => number;
  #results: Result[] = [];
  /** Runs that got their isolate since the last message: invocation id, run deadline. */
  #leased: [number, number][] = [];
  #leaseTimer: NodeJS.Timeout | undefined;
  /** A flush is due at the end of this turn. */
  #immediate = false;
  #inFlight = 0;

  /** `instances` is read when the batch leaves, so it is as fresh as the last outcome. */
  constructor(send: (message: ChildMessage) => void, instances: () => number) {
    this.#send = send;
    this.#instances = instances;
  }

  /** An invocation started; its outcome comes through {@link add}. */
  begin(): void {
    this.#inFlight += 1;
  }

  /**
   * Invocation `id` got its isolate and must end by `runDeadline` (epoch ms); `ahead` when it was
   * sent ahead of busy isolates (runtime/latest-end.ts sentAhead).
   */
  leased(id: number, runDeadline: number, ahead: boolean): void {
    this.#leased.push([id, runDeadline]);
    if (ahead) this.#atTurnEnd();
    else this.#leaseTimer ??= setTimeout(this.flush, LEASE_NOTICE_MS);
  }

  add(id: number, outcome: ExecutionOutcome): void {
    this.#inFlight -= 1;
    this.#results.push({ id, outcome });
    if (this.#inFlight === 0) this.flush();
    else this.#atTurnEnd();
  }

  #atTurnEnd(): void {
    if (this.#immediate) return;
    this.#immediate = true;
    setImmediate(this.flush);
  }

  /** Sends what is queued now (also before the process exits, so no outcome stays behind). */
  readonly flush = (): void => {
    this.#immediate = false;
    clearTimeout(this.#leaseTimer);
    this.#leaseTimer = undefined;
    if (this.#results.length === 0 && this.#leased.length === 0) return;
    const results = this.#results;
    this.#results = [];
    const leased = this.#leased;
    this.#leased = [];
    try {
      this.#send({
        type: 'outcomes',
        results,
        ...(leased.length === 0 ? {} : { leased }),
        instances: this.#instances(),
      });
    } catch (error) {
      // The notices are plain numbers: they go whatever became of the outcomes.
      if (leased.length > 0) this.#sendLeased(leased);
      // Thrown here, from an immediate, it would end the process and every outcome with it. One
      // outcome the channel cannot encode must not take the others along: each goes on its own.
      for (const result of results) this.#sendAlone(result, error);
    }
  };

  #sendLeased(leased: [number, number][]): void {
    try {
      this.#send({ type: 'outcomes', results: [], leased, instances: this.#instances() });
    } catch {
      // The channel itself is gone: the parent fails what was in flight here when it notices.
    }
  }

  #sendAlone(result: Result, batchError: unknown): void {
    try {
      this.#send({ type: 'outcomes', results: [result], instances: this.#instances() });
    } catch (error) {
      const fault = failedOutcome(
        new FjordError(
          'INTERNAL',
          `the outcome could not be sent: ${messageOf(error, batchError)}`,
        ),
      );
      try {
        this.#send({
          type: 'outcomes',
          results: [{ id: result.id, outcome: fault }],
          instances: 0,
        });
      } catch {
        // The channel itself is gone: the parent fails what was in flight here when it notices.
      }
    }
  }
}

function messageOf(error: unknown, fallback: unknown): string {
  if (error instanceof Error) return error.message;
  return fallback instanceof Error ? fallback.message : 'unknown error';
}
