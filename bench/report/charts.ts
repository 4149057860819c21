/**
 * The charts of BENCHMARKS.md, drawn as SVG: latency percentiles by concurrency (one panel per
 * percentile, log scale), sustained async throughput (bars), and completions per second over
 * the async runs (lines), which shows when the runtime keeps up with acceptance and when not.
 */
import type { BenchResults, ThroughputResult } from '../model.ts';
import { LATENCY_TARGETS } from '../rows/sync-latency.ts';
import { perSecond } from './format.ts';
import { document, line, linearScale, logScale, PALETTE, rect, text, tickLabel } from './svg.ts';
import { TARGET_LABELS, TARGETS } from './table-rows.ts';

export function latencyChart(results: BenchResults): string | undefined {
  const targets = results.latency?.targets;
  if (targets === undefined) return undefined;
  const cs = results.plan.concurrencies;
  const panels = [
    { key: 'p50', title: 'p50', target: TARGETS.syncP50Ms },
    { key: 'p99', title: 'p99', target: TARGETS.syncP99Ms },
    { key: 'p999', title: 'p99.9', target: undefined },
  ] as const;
  const values = LATENCY_TARGETS.flatMap((t) =>
    cs.flatMap((c) => panels.map((p) => targets[t]?.[String(c)]?.[p.key] ?? NaN)),
  ).filter(Number.isFinite);
  const [width, height, top, bottom] = [1200, 545, 95, 425];
  const y = logScale(Math.min(...values), Math.max(...values), bottom, top);
  const body: string[] = [
    ...heading(
      width,
      'Sync HTTP latency of a warm isolate, by concurrency',
      'ms, log scale, lower is better; closed-loop keep-alive clients; dashed: DESIGN.md target (set for c=1 through RabbitMQ)',
    ),
  ];
  const panelWidth = 340;
  panels.forEach((panel, p) => {
    const left = 80 + p * (panelWidth + 40);
    const right = left + panelWidth;
    const x = (i: number): number =>
      left + 30 + (i * (panelWidth - 60)) / Math.max(1, cs.length - 1);
    const title =
      panel.target === undefined ? panel.title : `${panel.title} (target ${panel.target} ms)`;
    body.push(
      text((left + right) / 2, top - 8, title, { size: 15, anchor: 'middle', weight: 'bold' }),
    );
    for (const t of y.ticks) {
      body.push(line(left, y.at(t), right, y.at(t), '#e5e5e5'));
      body.push(
        text(left - 6, y.at(t) + 4, tickLabel(t), { size: 11, anchor: 'end', fill: '#555' }),
      );
    }
    body.push(line(left, bottom, right, bottom, '#888'), line(left, top, left, bottom, '#888'));
    cs.forEach((c, i) => body.push(text(x(i), bottom + 18, `c=${c}`, { anchor: 'middle' })));
    if (panel.target !== undefined) {
      const ty = y.at(panel.target);
      body.push(line(left, ty, right, ty, '#D55E00', 'stroke-dasharray="6 4" stroke-width="1.5"'));
    }
    LATENCY_TARGETS.forEach((target, s) => {
      const color = PALETTE[s % PALETTE.length] ?? '#000';
      const points = cs
        .map((c, i) => [x(i), targets[target]?.[String(c)]?.[panel.key]] as const)
        .filter((pt): pt is readonly [number, number] => pt[1] !== undefined);
      const path = points.map(([px, v]) => `${px},${y.at(v)}`).join(' ');
      body.push(`<polyline points="${path}" fill="none" stroke="${color}" stroke-width="2.5"/>`);
      for (const [px, v] of points) {
        body.push(`<circle cx="${px}" cy="${y.at(v)}" r="4.5" fill="${color}"/>`);
      }
    });
  });
  legend(
    body,
    LATENCY_TARGETS.map((t) => TARGET_LABELS[t]),
    80,
    bottom + 55,
    width - 80,
  );
  return document(width, height, body);
}

/** A chart's title and the line under it that says how to read it. */
export function heading(width: number, title: string, subtitle: string): string[] {
  return [
    text(width / 2, 28, title, { size: 18, anchor: 'middle', weight: 'bold' }),
    text(width / 2, 50, subtitle, { size: 13, anchor: 'middle', fill: '#555' }),
  ];
}

/** Colour keys of the series, three to a row. */
export function legend(
  body: string[],
  labels: string[],
  left: number,
  y: number,
  right: number,
): void {
  const perRow = 3;
  const column = (right - left) / perRow;
  labels.forEach((label, i) => {
    const x = left + (i % perRow) * column;
    const row = y + Math.floor(i / perRow) * 24;
    body.push(rect(x, row - 11, 22, 12, PALETTE[i % PALETTE.length] ?? '#000'));
    body.push(text(x + 30, row, label, { size: 13 }));
  });
}

export function throughputChart(results: BenchResults): string | undefined {
  const a = results.async;
  if (a === undefined) return undefined;
  const bars: [string, ThroughputResult | undefined, boolean][] = [
    ['Fjord, embedded broker', a.fjordEmbedded, true],
    ['Fjord, RabbitMQ', a.fjordRabbitmq, true],
    ['raw amqplib (quorum, confirms, acks)', a.amqplib, false],
    ['Celery (prefork -c 2, acks_late)', a.celery, false],
  ];
  const present = bars.filter((b): b is [string, ThroughputResult, boolean] => b[1] !== undefined);
  const [width, left, right, top, barH, gap] = [1000, 290, 900, 80, 34, 22];
  const height = top + present.length * (barH + gap) + 50;
  const max = Math.max(TARGETS.asyncPerSecond, ...present.map(([, r]) => r.perSecond));
  const x = linearScale(max * 1.05, left, right);
  const bottom = top + present.length * (barH + gap);
  const body: string[] = [
    ...heading(
      width,
      'Async invocations accepted over HTTP and completed, sustained',
      `per second over ${results.plan.asyncS} s of load and the drain after it; higher is better`,
    ),
  ];
  for (const t of x.ticks) {
    body.push(line(x.at(t), top - 6, x.at(t), bottom, '#e5e5e5'));
    body.push(
      text(x.at(t), bottom + 18, tickLabel(t), { size: 11, anchor: 'middle', fill: '#555' }),
    );
  }
  const tx = x.at(TARGETS.asyncPerSecond);
  body.push(line(tx, top - 10, tx, bottom, '#D55E00', 'stroke-dasharray="6 4" stroke-width="1.5"'));
  body.push(text(tx + 4, top - 14, 'target 3,000/s', { size: 11, fill: '#D55E00' }));
  present.forEach(([label, r, fjord], i) => {
    const y = top + i * (barH + gap);
    body.push(text(left - 10, y + barH / 2 + 5, label, { anchor: 'end', size: 14 }));
    body.push(rect(left, y, x.at(r.perSecond) - left, barH, fjord ? PALETTE[0]! : '#999'));
    const note = fjord ? ` (accepted ${perSecond(r.acceptedPerSecond)} while loading)` : '';
    body.push(
      text(x.at(r.perSecond) + 8, y + barH / 2 + 5, `${perSecond(r.perSecond)}${note}`, {
        size: 13,
      }),
    );
  });
  body.push(line(left, top - 6, left, bottom, '#888'));
  return document(width, height, body);
}

export function timelineChart(results: BenchResults): string | undefined {
  const a = results.async;
  const series: [string, ThroughputResult][] = [];
  if (a?.fjordEmbedded?.timeline) series.push(['Fjord, embedded broker', a.fjordEmbedded]);
  if (a?.fjordRabbitmq?.timeline) series.push(['Fjord, RabbitMQ', a.fjordRabbitmq]);
  if (series.length === 0) return undefined;
  const [width, height, left, right, top, bottom] = [1000, 420, 80, 960, 70, 340];
  const seconds = Math.max(...series.map(([, r]) => r.timeline!.length));
  const max = Math.max(...series.flatMap(([, r]) => r.timeline!));
  const y = linearScale(max * 1.05, bottom, top);
  const x = (s: number): number => left + (s / Math.max(1, seconds)) * (right - left);
  const body: string[] = [
    ...heading(
      width,
      'Async runs: invocations completed per second',
      'shaded: the load phase (acceptance over HTTP); after it, the backlog drains',
    ),
    rect(left, top, x(results.plan.asyncS) - left, bottom - top, '#f2f2f2'),
  ];
  for (const t of y.ticks) {
    body.push(line(left, y.at(t), right, y.at(t), '#e5e5e5'));
    body.push(text(left - 6, y.at(t) + 4, tickLabel(t), { size: 11, anchor: 'end', fill: '#555' }));
  }
  for (let s = 0; s <= seconds; s += seconds > 40 ? 10 : 5) {
    body.push(text(x(s), bottom + 18, `${s} s`, { size: 11, anchor: 'middle', fill: '#555' }));
  }
  body.push(line(left, bottom, right, bottom, '#888'), line(left, top, left, bottom, '#888'));
  series.forEach(([, r], i) => {
    const points = r.timeline!.map((v, s) => `${x(s + 1)},${y.at(v)}`).join(' ');
    const color = PALETTE[i] ?? '#000';
    body.push(`<polyline points="${points}" fill="none" stroke="${color}" stroke-width="2.5"/>`);
  });
  legend(
    body,
    series.map(([label]) => label),
    left,
    bottom + 50,
    right,
  );
  return document(width, height, body);
}
