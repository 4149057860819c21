/**
 * Table rows of the container measurements (cold start, warm invoke, memory), the cold starts
 * left under a steady load, and the agent's memory with many functions deployed.
 */
import type { BenchResults, DurationSummary, TableRow } from '../model.ts';
import { mb, ms, ratio } from './format.ts';
import { COLD_SECTION, TARGETS } from './targets.ts';

const p50p99 = (d: DurationSummary): string => `${ms(d.p50)} / ${ms(d.p99)} ms`;

function steadyRows(results: BenchResults): TableRow[] {
  const rows: TableRow[] = [];
  const cases = [
    ['isolate', results.coldStart?.steady, results.coldStart?.load1],
    ['container', results.containers?.steady, results.containers?.load1],
  ] as const;
  for (const [runtime, steady, load1] of cases) {
    if (steady === undefined) continue;
    rows.push({
      section: COLD_SECTION,
      what: `${runtime}: cold starts under steady load once warm (c=${steady.concurrency})`,
      fjord: `${steady.coldStarts} of ${steady.invocations.toLocaleString('en-US')}`,
      anchor: '—',
      anchorValue: '—',
      ratio: '—',
      target: 'none',
      pass: steady.coldStarts === 0,
      load1: load1 ?? NaN,
    });
  }
  return rows;
}

function containerRows(results: BenchResults): TableRow[] {
  const c = results.containers;
  if (c === undefined) return [];
  const isolateWarm = results.coldStart?.warmInvoke;
  return [
    {
      section: COLD_SECTION,
      what: 'container, new version (image present)',
      fjord: p50p99(c.coldStart),
      anchor: 'docker run of the base image, node -e to first output',
      anchorValue: p50p99(c.dockerRun),
      ratio: ratio(c.coldStart.p50, c.dockerRun.p50),
      target: '<= 600 ms',
      pass: c.coldStart.p50 <= TARGETS.containerColdStartMs,
      load1: c.load1,
    },
    {
      section: 'warm invoke from the executor (p50 / p99)',
      what: 'container, hello',
      fjord: p50p99(c.warmInvoke),
      anchor: 'isolate, same handler',
      anchorValue: isolateWarm === undefined ? '—' : p50p99(isolateWarm),
      ratio: isolateWarm === undefined ? '—' : ratio(c.warmInvoke.p50, isolateWarm.p50),
      target: 'p50 <= 3 ms',
      pass: c.warmInvoke.p50 <= TARGETS.containerWarmP50Ms,
      load1: c.load1,
    },
    {
      section: 'memory',
      what: `memory per warm idle container (${c.memoryMb.length} containers)`,
      fjord: mb(c.mbPerContainer),
      anchor: 'bare node process idling in the same image',
      anchorValue: mb(c.bareNodeMb),
      ratio: ratio(c.mbPerContainer, c.bareNodeMb),
      target: '<= 60 MB',
      pass: c.mbPerContainer <= TARGETS.mbPerContainer,
      load1: c.load1,
    },
  ];
}

function agentRows(results: BenchResults): TableRow[] {
  const a = results.agentMemory;
  if (a === undefined) return [];
  const perIsolate = results.memory?.fjord.mbPerIsolate;
  return [
    {
      section: 'memory',
      what: `fn node PSS (with its isolate hosts), ${a.functions} functions invoked once, idle`,
      fjord: mb(a.all.treePssMb),
      anchor: 'fn node, no function deployed',
      anchorValue: mb(a.none.treePssMb),
      ratio: ratio(a.all.treePssMb, a.none.treePssMb),
      target: '—',
      load1: a.load1,
    },
    {
      section: 'memory',
      what: `fn node PSS per further function (1 to ${a.functions})`,
      fjord: mb(a.perFunctionMb),
      anchor: 'RSS per warm idle isolate (executor alone)',
      anchorValue: perIsolate === undefined ? '—' : mb(perIsolate),
      ratio: perIsolate === undefined ? '—' : ratio(a.perFunctionMb, perIsolate),
      target: '—',
      load1: a.load1,
    },
  ];
}

export function resourceRows(results: BenchResults): TableRow[] {
  return [...containerRows(results), ...steadyRows(results), ...agentRows(results)];
}
