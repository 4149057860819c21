/**
 * Row 5's chart: sync latency at c=1 (p50, p99, p99.9; log scale) against the number of
 * functions deployed, with the node's memory at each step written under it.
 */
import type { BenchResults } from '../model.ts';
import { heading, legend } from './charts.ts';
import { document, line, logScale, PALETTE, text, tickLabel } from './svg.ts';

export function functionsChart(results: BenchResults): string | undefined {
  const points = results.functions?.points ?? [];
  if (points.length < 2) return undefined;
  const series = [
    ['p50', 'p50'],
    ['p99', 'p99'],
    ['p999', 'p99.9'],
  ] as const;
  const values = points
    .flatMap((p) => series.map(([key]) => p.latency[key]))
    .filter(Number.isFinite);
  const [width, height, left, right, top, bottom] = [900, 520, 90, 860, 80, 400];
  const y = logScale(Math.min(...values), Math.max(...values), bottom, top);
  const x = (i: number): number => left + 60 + (i * (right - left - 120)) / (points.length - 1);
  const body = heading(
    width,
    'Sync latency at c=1 by functions deployed (fn gateway + fn node, RabbitMQ)',
    'ms, log scale, lower is better; under each step: PSS of the fn node and its children',
  );
  for (const t of y.ticks) {
    body.push(line(left, y.at(t), right, y.at(t), '#e5e5e5'));
    body.push(text(left - 6, y.at(t) + 4, tickLabel(t), { size: 11, anchor: 'end', fill: '#555' }));
  }
  body.push(line(left, bottom, right, bottom, '#888'), line(left, top, left, bottom, '#888'));
  points.forEach((p, i) => {
    const label = `${p.functions.toLocaleString('en-US')} deployed`;
    body.push(text(x(i), bottom + 20, label, { anchor: 'middle' }));
    const memory = `${Math.round(p.agent.treePssMb)} MB`;
    body.push(text(x(i), bottom + 38, memory, { anchor: 'middle', size: 12, fill: '#555' }));
  });
  series.forEach(([key], s) => {
    const color = PALETTE[s % PALETTE.length] ?? '#000';
    const path = points.map((p, i) => `${x(i)},${y.at(p.latency[key])}`).join(' ');
    body.push(`<polyline points="${path}" fill="none" stroke="${color}" stroke-width="2.5"/>`);
    points.forEach((p, i) =>
      body.push(`<circle cx="${x(i)}" cy="${y.at(p.latency[key])}" r="4.5" fill="${color}"/>`),
    );
  });
  legend(
    body,
    series.map(([, label]) => label),
    left,
    bottom + 80,
    right,
  );
  return document(width, height, body);
}
