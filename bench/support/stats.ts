/** Percentiles and summaries of raw samples (nearest-rank, on a sorted copy). */
import type { DurationSummary, LatencySummary } from '../model.ts';

/** Nearest-rank percentile of ascending `sorted`; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? NaN;
}

function ascending(samples: readonly number[]): number[] {
  // A typed array sorts numerically, and fast on 100k samples.
  return Array.from(Float64Array.from(samples).sort());
}

export function summariseLatency(
  samplesMs: readonly number[],
  seconds: number,
  errors: number,
): LatencySummary {
  const sorted = ascending(samplesMs);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    perSecond: sorted.length / seconds,
    mean: sorted.length ? sum / sorted.length : NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9),
    max: sorted.at(-1) ?? NaN,
    errors,
  };
}

export function summariseDurations(samplesMs: readonly number[]): DurationSummary {
  const sorted = ascending(samplesMs);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    min: sorted[0] ?? NaN,
    max: sorted.at(-1) ?? NaN,
  };
}
