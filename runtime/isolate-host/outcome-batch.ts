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
 * outcomes: under load outcomes leave every turn or so, and a short run's notice leaves with its
 * own outcome, so they cost no message of their own. A notice no outcome took along leaves alone
 * after {@link LEASE_NOTICE_MS}; a crash before then makes the parent take that run for one that
 * never started, and send it once more (host-process.ts).
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

  /** Invocation `id` got its isolate and must end by `runDeadline` (epoch ms). */
  leased(id: number, runDeadline: number): void {
    this.#leased.push([id, runDeadline]);
    this.#leaseTimer ??= setTimeout(this.flush, LEASE_NOTICE_MS);
  }

  add(id: number, outcome: ExecutionOutcome): void {
    this.#inFlight -= 1;
    this.#results.push({ id, outcome });
    if (this.#inFlight === 0) this.flush();
    else if (this.#results.length === 1) setImmediate(this.flush);
  }

  /** Sends what is queued now (also before the process exits, so no outcome stays behind). */
  readonly flush = (): void => {
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
