import { MAX_RETRY_DELAY_MS } from '../../core/retry-policy.ts';

/**
 * The delays a retry can wait on RabbitMQ, about 1.6x apart from 100 ms to an hour: 24 quorum
 * queues at most, declared only when first used. A delay is rounded up to the next tier, so a
 * retry never comes early; the jitter of the policy survives as the choice between tiers.
 */
export const DELAY_TIERS_MS: readonly number[] = [
  100,
  150,
  250,
  400,
  600,
  1000,
  1500,
  2500,
  4000,
  6000,
  10_000,
  15_000,
  25_000,
  40_000,
  60_000,
  90_000,
  150_000,
  240_000,
  360_000,
  600_000,
  900_000,
  1_500_000,
  2_400_000,
  MAX_RETRY_DELAY_MS,
];

/** The shortest tier at least `delayMs` long (the longest one for anything beyond it). */
export function tierFor(delayMs: number): number {
  return DELAY_TIERS_MS.find((tier) => tier >= delayMs) ?? MAX_RETRY_DELAY_MS;
}
