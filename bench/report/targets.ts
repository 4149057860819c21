/** The targets each row is judged against, and names the table modules share. */

/** DESIGN.md targets and the issue's, on this 2-core machine. */
export const TARGETS = {
  asyncPerSecond: 3000,
  /** Share of the raw amqplib ceiling the RabbitMQ path must reach (issue #6). */
  asyncShareOfRaw: 0.4,
  syncP50Ms: 1.5,
  syncP99Ms: 5,
  coldStartMs: 10,
  honoColdStartMs: 60,
  containerColdStartMs: 600,
  containerWarmP50Ms: 3,
  mbPerIsolate: 3,
  mbPerContainer: 60,
} as const;

/** The section all cold-start rows share. */
export const COLD_SECTION = 'cold starts (p50 / p99)';
