/** What one closed-loop latency run of any target returns (HTTP through autocannon, or AMQP). */
export interface LoadRun {
  /** Latency of every successful request, in ms. */
  latenciesMs: number[];
  /** Seconds the load ran. */
  durationS: number;
  /** Failed requests: errors, timeouts, non-2xx. */
  errors: number;
}

/** A target of the sync-latency row: runs closed-loop load at a concurrency for a duration. */
export type LoadRunner = (connections: number, durationS: number) => Promise<LoadRun>;
