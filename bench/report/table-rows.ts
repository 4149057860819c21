/**
 * The one table of a run: each row Fjord's figure, one anchor measured in the same run, the
 * ratio Fjord/anchor, and the DESIGN.md target with pass/fail where DESIGN.md sets one.
 */
import type {
  BenchResults,
  LatencySummary,
  Measured,
  TableRow,
  ThroughputResult,
} from '../model.ts';
import type { LatencyTarget } from '../rows/sync-latency.ts';
import { mb, ms, percentiles, perSecond, ratio } from './format.ts';
import { resourceRows } from './table-rows-resources.ts';
import { COLD_SECTION, TARGETS } from './targets.ts';
import { scaleRows } from './table-rows-scale.ts';

export { TARGETS } from './targets.ts';

export const TARGET_LABELS: Record<LatencyTarget, string> = {
  fjordRabbitmq: 'Fjord, RabbitMQ',
  fjordRabbitmqInline: 'Fjord, RabbitMQ, --isolate-host inline',
  fjordEmbedded: 'Fjord, embedded',
  amqplibRpc: 'raw amqplib RPC, quorum queue',
  amqplibRpcClassic: 'raw amqplib RPC, classic queue',
  koa: 'bare Koa, same handler in-process',
  workerd: 'workerd, same handler',
};

function asyncRows(results: BenchResults): TableRow[] {
  const a = results.async;
  if (a === undefined) return [];
  const rows: TableRow[] = [];
  const section = 'async throughput (accepted + completed)';
  const variants: [string, Measured<ThroughputResult> | undefined, boolean][] = [
    ['embedded', a.fjordEmbedded, false],
    ['RabbitMQ', a.fjordRabbitmq, true],
  ];
  for (const [variant, fjord, onRabbit] of variants) {
    if (fjord === undefined) continue;
    const anchors: [string, ThroughputResult | undefined][] = [
      ['raw amqplib (quorum, confirms, acks)', a.amqplib],
      ['Celery (prefork -c 2, acks_late)', a.celery],
    ];
    for (const [i, [anchor, value]] of anchors.entries()) {
      const share = value === undefined ? NaN : fjord.perSecond / value.perSecond;
      const first = i === 0;
      const pass =
        fjord.perSecond >= TARGETS.asyncPerSecond &&
        (!onRabbit || share >= TARGETS.asyncShareOfRaw);
      rows.push({
        section,
        what: `Fjord, ${variant}${fjord.connections === undefined ? '' : ` (${fjord.connections} connections)`}`,
        fjord: perSecond(fjord.perSecond),
        anchor,
        anchorValue: value === undefined ? '—' : perSecond(value.perSecond),
        ratio: value === undefined ? '—' : ratio(fjord.perSecond, value.perSecond),
        target: first ? (onRabbit ? '>= 3,000/s and >= 40% of raw' : '>= 3,000/s') : '—',
        ...(first ? { pass } : {}),
        load1: fjord.load1,
      });
    }
  }
  return rows;
}

function latencyRows(results: BenchResults): TableRow[] {
  const targets = results.latency?.targets;
  if (targets === undefined) return [];
  const rows: TableRow[] = [];
  // The broker anchors say what RabbitMQ itself costs; the embedded broker is not RabbitMQ.
  type Variant = 'fjordRabbitmq' | 'fjordRabbitmqInline' | 'fjordEmbedded';
  const anchorsOf: Record<Variant, LatencyTarget[]> = {
    fjordRabbitmq: ['amqplibRpc', 'amqplibRpcClassic', 'koa', 'workerd'],
    fjordRabbitmqInline: ['fjordRabbitmq', 'amqplibRpcClassic'],
    fjordEmbedded: ['koa', 'workerd'],
  };
  for (const variant of ['fjordRabbitmq', 'fjordRabbitmqInline', 'fjordEmbedded'] as const) {
    const anchors = anchorsOf[variant];
    for (const c of results.plan.concurrencies) {
      const fjord = targets[variant]?.[String(c)];
      if (fjord === undefined) continue;
      const targeted = variant === 'fjordRabbitmq' && c === 1;
      for (const [i, anchor] of anchors.entries()) {
        const value: LatencySummary | undefined = targets[anchor]?.[String(c)];
        const first = i === 0;
        rows.push({
          section: 'sync HTTP latency, warm isolate (p50 / p99 / p99.9)',
          what: `${TARGET_LABELS[variant]}, c=${c}`,
          fjord: percentiles(fjord),
          anchor: TARGET_LABELS[anchor],
          anchorValue: value === undefined ? '—' : percentiles(value),
          ratio:
            value === undefined
              ? '—'
              : `${ratio(fjord.p50, value.p50)} / ${ratio(fjord.p99, value.p99)}`,
          target: first && targeted ? 'p50 <= 1.5 ms, p99 <= 5 ms' : '—',
          ...(first && targeted
            ? { pass: fjord.p50 <= TARGETS.syncP50Ms && fjord.p99 <= TARGETS.syncP99Ms }
            : {}),
          load1: fjord.load1,
        });
      }
    }
  }
  return rows;
}

function isolateRows(results: BenchResults): TableRow[] {
  const rows: TableRow[] = [];
  const cold = results.coldStart;
  if (cold !== undefined) {
    const section = COLD_SECTION;
    const fjord = `${ms(cold.fjord.p50)} / ${ms(cold.fjord.p99)} ms`;
    rows.push({
      section,
      what: 'isolate, hello, new version',
      fjord,
      anchor: 'isolated-vm isolate + context',
      anchorValue: `${ms(cold.isolatedVm.p50)} / ${ms(cold.isolatedVm.p99)} ms`,
      ratio: ratio(cold.fjord.p50, cold.isolatedVm.p50),
      target: '<= 10 ms',
      pass: cold.fjord.p50 <= TARGETS.coldStartMs,
      load1: cold.load1,
    });
    const workerdMs = results.latency?.workerdStartMs;
    if (workerdMs !== undefined) {
      rows.push({
        section,
        what: 'isolate, hello, new version',
        fjord,
        anchor: 'workerd process, spawn to first response',
        anchorValue: `${ms(workerdMs)} ms`,
        ratio: ratio(cold.fjord.p50, workerdMs),
        target: '—',
        load1: cold.load1,
      });
    }
  }
  if (cold?.hono !== undefined) {
    rows.push({
      section: COLD_SECTION,
      what: 'isolate, Hono app, new version',
      fjord: `${ms(cold.hono.p50)} / ${ms(cold.hono.p99)} ms`,
      anchor: 'isolate, hello, new version',
      anchorValue: `${ms(cold.fjord.p50)} / ${ms(cold.fjord.p99)} ms`,
      ratio: ratio(cold.hono.p50, cold.fjord.p50),
      target: '<= 60 ms',
      pass: cold.hono.p50 <= TARGETS.honoColdStartMs,
      load1: cold.load1,
    });
  }
  const memory = results.memory;
  if (memory !== undefined) {
    rows.push({
      section: 'memory',
      what: `RSS per warm idle isolate (${memory.fjord.count} isolates)`,
      fjord: mb(memory.fjord.mbPerIsolate),
      anchor: 'isolated-vm isolate + context',
      anchorValue: mb(memory.isolatedVm.mbPerIsolate),
      ratio: ratio(memory.fjord.mbPerIsolate, memory.isolatedVm.mbPerIsolate),
      target: '<= 3 MB',
      pass: memory.fjord.mbPerIsolate <= TARGETS.mbPerIsolate,
      load1: memory.fjord.load1,
    });
  }
  return rows;
}

export function tableRows(results: BenchResults): TableRow[] {
  return [
    ...asyncRows(results),
    ...latencyRows(results),
    ...isolateRows(results),
    ...resourceRows(results),
    ...scaleRows(results),
  ];
}
