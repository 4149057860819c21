/**
 * Table rows of row 5: what a second `fn node` process buys in async throughput, and how sync
 * latency at c=1 grows with the number of deployed functions (against one function deployed).
 */
import type { BenchResults, TableRow } from '../model.ts';
import { percentiles, perSecond, ratio } from './format.ts';

export function scaleRows(results: BenchResults): TableRow[] {
  const rows: TableRow[] = [];
  const byNodes = results.nodes?.byNodes;
  const one = byNodes?.['1'];
  const two = byNodes?.['2'];
  if (two !== undefined) {
    rows.push({
      section: 'scale (split deployment: fn gateway + fn node on RabbitMQ)',
      what: 'async throughput, 2 fn node processes',
      fjord: perSecond(two.perSecond),
      anchor: '1 fn node process',
      anchorValue: one === undefined ? '—' : perSecond(one.perSecond),
      ratio: one === undefined ? '—' : ratio(two.perSecond, one.perSecond),
      target: '—',
      load1: two.load1,
    });
  }
  const points = results.functions?.points ?? [];
  const base = points[0];
  for (const point of points.slice(1)) {
    const f = point.latency;
    rows.push({
      section: 'scale (split deployment: fn gateway + fn node on RabbitMQ)',
      what: `sync c=1 (p50 / p99 / p99.9), ${point.functions.toLocaleString('en-US')} functions deployed`,
      fjord: percentiles(f),
      anchor: `${base?.functions ?? '—'} function deployed`,
      anchorValue: base === undefined ? '—' : percentiles(base.latency),
      ratio:
        base === undefined
          ? '—'
          : `${ratio(f.p50, base.latency.p50)} / ${ratio(f.p99, base.latency.p99)}`,
      target: '—',
      load1: f.load1,
    });
  }
  return rows;
}
