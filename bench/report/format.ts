/** How figures are printed, the same on the console and in BENCHMARKS.md. */

export function perSecond(x: number): string {
  return `${Math.round(x).toLocaleString('en-US')}/s`;
}

export function ms(x: number): string {
  return Number.isFinite(x) ? (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0)) : '—';
}

export function mb(x: number): string {
  return `${x.toFixed(2)} MB`;
}

/** Fjord / anchor, e.g. "2.10x". */
export function ratio(fjord: number, anchor: number): string {
  if (!Number.isFinite(fjord) || !Number.isFinite(anchor) || anchor === 0) return '—';
  return `${(fjord / anchor).toFixed(fjord / anchor < 10 ? 2 : 1)}x`;
}

export function percentiles(p: { p50: number; p99: number; p999: number }): string {
  return `${ms(p.p50)} / ${ms(p.p99)} / ${ms(p.p999)} ms`;
}

export function load(x: number): string {
  return x.toFixed(2);
}

/** CPU time per invocation, e.g. "0.82 ms"; blank when not measured (anchors). */
export function cpu(x: number | undefined): string {
  return x === undefined ? '' : `${ms(x)} ms`;
}
