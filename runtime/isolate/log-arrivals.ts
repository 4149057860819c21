/**
 * Log lines and replies leave an isolate on different channels, and under load a reply can reach
 * the host before the last lines written ahead of it. Replies say how many lines the invocation
 * sent; this counts the ones that arrived so the host can wait for the rest before it closes the
 * invocation's log.
 */
export class LogArrivals {
  #count = 0;
  #waiters: { count: number; resolve: () => void }[] = [];

  /** Starts counting for a new invocation; whoever waited for the previous one is let go. */
  reset(): void {
    this.#count = 0;
    for (const waiter of this.#waiters.splice(0)) waiter.resolve();
  }

  arrived(): void {
    this.#count += 1;
    this.#waiters = this.#waiters.filter((waiter) => {
      if (waiter.count > this.#count) return true;
      waiter.resolve();
      return false;
    });
  }

  /** Resolves once `count` lines of the current invocation have arrived. */
  until(count: number): Promise<void> {
    if (this.#count >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }
}

/**
 * Resolves once the lines an isolate sent before it was stopped have arrived, for when it can no
 * longer say how many it sent. isolated-vm hands them to the host as tasks that run in the poll
 * phase of the event loop, while a stop usually comes from a timer (deadline, CPU watchdog),
 * which runs earlier in the same turn. A poll phase that begins after this call has them all;
 * `setImmediate` runs right after a poll phase, so the second one comes after such a poll.
 */
export function linesSentBeforeNow(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}
