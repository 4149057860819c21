/**
 * The detail tables of BENCHMARKS.md for containers, the agent's memory and scale (rows 3-5):
 * every sample summary behind the one-line figures of the main table.
 */
import type { BenchResults, DurationSummary } from '../model.ts';
import type { TreeMemory } from '../support/process-tree.ts';
import { cpu, load, mb, ms, perSecond } from './format.ts';

const durationRow = (name: string, d: DurationSummary): string =>
  `| ${name} | ${d.count} | ${ms(d.p50)} | ${ms(d.p90)} | ${ms(d.p99)} | ${ms(d.min)} | ${ms(d.max)} |`;

function containerDetails(r: BenchResults): string[] {
  const c = r.containers;
  if (c === undefined) return [];
  return [
    '| containers (ms) | samples | p50 | p90 | p99 | min | max |',
    '|---|---|---|---|---|---|---|',
    durationRow('cold: create, start, shim boot, bundle, first response', c.coldStart),
    durationRow('`docker run --rm` of the base image, `node -e` to first output', c.dockerRun),
    durationRow('warm invoke, sequential', c.warmInvoke),
    '',
    `Memory of ${c.memoryMb.length} warm idle containers (docker stats): ` +
      `${c.memoryMb.map((x) => x.toFixed(1)).join(', ')} MB; a bare \`node\` idling in the same ` +
      `image: ${mb(c.bareNodeMb)}. Steady load: ${c.steady.coldStarts} cold starts in ` +
      `${c.steady.invocations} invocations at c=${c.steady.concurrency}. Load average ${load(c.load1)}.`,
    '',
  ];
}

function agentDetails(r: BenchResults): string[] {
  const a = r.agentMemory;
  if (a === undefined) return [];
  const row = (what: string, m: TreeMemory): string =>
    `| ${what} | ${m.processes} | ${mb(m.rssMb)} | ${mb(m.treePssMb)} |`;
  return [
    '| fn node (each function invoked once, then idle) | processes | RSS of fn node | PSS of fn node and children |',
    '|---|---|---|---|',
    row('no function deployed', a.none),
    row('1 function', a.one),
    row(`${a.functions} functions`, a.all),
    '',
    `PSS per further function: ${mb(a.perFunctionMb)}; load average ${load(a.load1)}.`,
    '',
  ];
}

function scaleDetails(r: BenchResults): string[] {
  const out: string[] = [];
  const byNodes = r.nodes?.byNodes ?? {};
  if (Object.keys(byNodes).length > 0) {
    out.push(
      '| async, split deployment | completed | sustained | accepted while loading | until all done | rejected | CPU per invocation | load avg |',
      '|---|---|---|---|---|---|---|---|',
    );
    for (const [nodes, t] of Object.entries(byNodes)) {
      out.push(
        `| fn gateway + ${nodes} fn node | ${t.completed.toLocaleString('en-US')} | ${perSecond(t.perSecond)} | ` +
          `${perSecond(t.acceptedPerSecond)} | ${t.totalS.toFixed(1)} s | ${t.rejected ?? 0} | ${cpu(t.cpuMsPerInvocation)} | ${load(t.load1)} |`,
      );
    }
    out.push('');
  }
  const points = r.functions?.points ?? [];
  if (points.length > 0) {
    out.push(
      '| functions deployed | deploy time (new ones) | c=1 p50 | p90 | p99 | p99.9 | req/s | errors | fn node PSS (with children) | load avg |',
      '|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const p of points) {
      const l = p.latency;
      out.push(
        `| ${p.functions.toLocaleString('en-US')} | ${p.deployed} in ${p.deployS.toFixed(1)} s | ${ms(l.p50)} | ` +
          `${ms(l.p90)} | ${ms(l.p99)} | ${ms(l.p999)} | ${Math.round(l.perSecond).toLocaleString('en-US')} | ` +
          `${l.errors} | ${mb(p.agent.treePssMb)} | ${load(l.load1)} |`,
      );
    }
    out.push('');
  }
  return out;
}

/** Detail lines for rows 3-5 (empty when none of them ran). */
export function moreDetails(r: BenchResults): string[] {
  return [...containerDetails(r), ...agentDetails(r), ...scaleDetails(r)];
}
