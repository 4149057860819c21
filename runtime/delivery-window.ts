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
 * Runs still never exceed the slots (the agent's gate); only the prefetch grows.
 */
export const MAX_SPARES = 32;

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
   * One async run of `fn` with `slots`: `runMs` in the executor, then `confirmMs` until its
   * result was confirmed. Changes the spares when they are off by half or more (and by more
   * than one), so noise does not re-subscribe the consumer again and again.
   */
  observe(fn: string, slots: number, runMs: number, confirmMs: number): void {
    let timing = this.#timings.get(fn);
    if (timing === undefined) {
      timing = { runMs, confirmMs, runs: 0, spares: 0, changedAt: -Infinity };
      this.#timings.set(fn, timing);
    }
    timing.runMs += SMOOTHING * (runMs - timing.runMs);
    timing.confirmMs += SMOOTHING * (confirmMs - timing.confirmMs);
    timing.runs++;
    if (timing.runs < WARM_UP_RUNS) return;
    const wanted = sparesFor(slots, timing.runMs, timing.confirmMs);
    const off = Math.abs(wanted - timing.spares);
    if (off <= 1 || off < timing.spares / 2) return;
    const now = this.#now();
    if (now - timing.changedAt < MIN_CHANGE_INTERVAL_MS) return;
    timing.spares = wanted;
    timing.changedAt = now;
    this.#options.onChange(fn);
  }

  /** Forgets a function that is no longer followed (its next consumer starts without spares). */
  forget(fn: string): void {
    this.#timings.delete(fn);
  }
}
