/** Cancels a pending wake-up. */
export type CancelTimer = () => void;

/**
 * The scheduler's one way to wait: call `run` after `ms`. Injected so tests drive time by hand
 * instead of waiting for real ticks.
 */
export interface SchedulerTimer {
  set(ms: number, run: () => Promise<void>): CancelTimer;
}

/** Node's timers, unref'd: a pending tick alone does not keep the process alive. */
export const realTimer: SchedulerTimer = {
  set(ms, run) {
    // setTimeout caps at 2^31-1 ms; the scheduler looks again well before anyway.
    const timer = setTimeout(() => void run(), Math.min(Math.max(ms, 0), 2 ** 31 - 1));
    timer.unref();
    return () => clearTimeout(timer);
  },
};
