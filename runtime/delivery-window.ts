/**
 * Spare deliveries per function: how many more than its slots a node holds.
 *
 * An async run's delivery is acked only once its result is confirmed by the broker (for a quorum
 * queue, written to a majority of replicas: milliseconds). With prefetch equal to the slots, a
 * slot would wait for that confirm before its next run: a function running in 0.5 ms behind a
 * 5 ms confirm would use a tenth of its slots. Spares let the next runs start meanwhile. They
 * cost fairness between nodes (a node holds deliveries another node could run), which matters
 * only when runs are long, so they are sized from the two times measured here: about
 * `slots x confirm / run`, none for runs much longer than a confirm, at most {@link MAX_SPARES}.
 * Spares never run before a slot is free (the agent's gate); only the prefetch grows.
 *
 * Runs ahead, for short runs only: between two runs of one slot the node's outcome and its next
 * invocation each cross to the isolate host process and back, and in `fn up`, whose one thread
 * also serves HTTP, each crossing waits for a turn of the event loop that a burst of requests
 * makes milliseconds long: a function running in 0.1 ms would use a few percent of its slots.
 * So an isolate function whose runs are short gets {@link MAX_AHEAD_PER_SLOT} runs per slot sent
 * ahead: they wait in the host process beside the busy isolates (their timeout counting only
 * once an isolate is free, runtime/latest-end.ts), and an isolate that finishes takes the next
 * at once. The isolates of a function running at once never exceed its `concurrency`: the host
 * caps them per function across versions, and a function's runs go to one host process.
 */

/**
 * Runs of a function sent to its executor beyond its slots, per slot, at most: an isolate
 * function's invocation may wait in its host process behind this many others per isolate.
 */
export const MAX_AHEAD_PER_SLOT = 3;

/**
 * Spares of one function at most. It binds only for runs far shorter than a confirm, where the
 * work it holds back from other nodes is small anyway: spares x run <= slots x confirm. Under a
 * steady async load a node holds its runs ahead plus a confirm's worth of finished runs, and at
 * 3,000/s behind confirms of 10-20 ms that is 30-60 deliveries (32 held completion back by about
 * a tenth: async-trace, Nov 24).
 */
export const MAX_SPARES = 96;

/** Runs ahead start once a function's runs average at most this, and stop above the next. */
const AHEAD_ON_MS = 20;
/**
 * Above the start, so a function near the line does not flip back and forth (a run's time is
 * its own, from its lease, not its wait behind the runs ahead: ExecutionOutcome.ran).
 */
const AHEAD_OFF_MS = 100;

/** Runs measured before the first sizing, and the smoothing of the averages. */
const WARM_UP_RUNS = 16;
const SMOOTHING = 0.1;
/** The least time between two changes of one function's window (each is a re-subscription). */
const MIN_CHANGE_INTERVAL_MS = 2000;

/** The spares for a function with `slots`, runs of `runMs` and confirms of `confirmMs`. */
export function sparesFor(slots: number, runMs: number, confirmMs: number): number {
  if (slots < 1) return 0;
  const spares = Math.floor((slots * confirmMs) / Math.max(runMs, 0.05));
  return Math.min(MAX_SPARES, spares);
}

interface Timing {
  runMs: number;
  confirmMs: number;
  runs: number;
  spares: number;
  /** Whether the function's runs are short enough for runs ahead (see the header). */
  ahead: boolean;
  changedAt: number;
}

export interface DeliveryWindowsOptions {
  /** Called when a function's spares changed: its consumer takes the new prefetch. */
  onChange: (fn: string) => void;
  now?: () => number;
}

/** The spare deliveries of every function a node runs, from the runs it observed. */
export class DeliveryWindows {
  readonly #timings = new Map<string, Timing>();
  readonly #options: DeliveryWindowsOptions;
  readonly #now: () => number;

  constructor(options: DeliveryWindowsOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** The spares of `fn` now: none until its runs were measured. */
  spares(fn: string): number {
    return this.#timings.get(fn)?.spares ?? 0;
  }

  /**
   * Runs of `fn` its executor may take beyond its `slots`: {@link MAX_AHEAD_PER_SLOT} per slot
   * while its runs are short, none until they were measured.
   */
  ahead(fn: string, slots: number): number {
    return this.#timings.get(fn)?.ahead === true ? slots * MAX_AHEAD_PER_SLOT : 0;
  }

  /**
   * One async run of `fn` with `slots`: `runMs` in the executor, then `confirmMs` until its
   * result was confirmed. Changes the spares when they are off by half or more (and by more
   * than one), so noise does not re-subscribe the consumer again and again.
   */
  observe(fn: string, slots: number, runMs: number, confirmMs: number): void {
    let timing = this.#timings.get(fn);
    if (timing === undefined) {
      timing = { runMs, confirmMs, runs: 0, spares: 0, ahead: false, changedAt: -Infinity };
      this.#timings.set(fn, timing);
    }
    timing.runMs += SMOOTHING * (runMs - timing.runMs);
    timing.confirmMs += SMOOTHING * (confirmMs - timing.confirmMs);
    timing.runs++;
    if (timing.runs < WARM_UP_RUNS) return;
    const wanted = sparesFor(slots, timing.runMs, timing.confirmMs);
    const off = Math.abs(wanted - timing.spares);
    const ahead = timing.ahead ? timing.runMs <= AHEAD_OFF_MS : timing.runMs <= AHEAD_ON_MS;
    if (ahead === timing.ahead && (off <= 1 || off < timing.spares / 2)) return;
    const now = this.#now();
    if (now - timing.changedAt < MIN_CHANGE_INTERVAL_MS) return;
    timing.spares = wanted;
    timing.ahead = ahead;
    timing.changedAt = now;
    this.#options.onChange(fn);
  }

  /** Forgets a function that is no longer followed (its next consumer starts without spares). */
  forget(fn: string): void {
    this.#timings.delete(fn);
  }
}
