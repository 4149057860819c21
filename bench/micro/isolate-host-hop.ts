/**
 * Micro-benchmark of the isolate host hop (not a test): the same warm `hello` fetch handler
 * invoked sequentially through an inline IsolateExecutor and through IsolateHostExecutor (one
 * host process), this tree's and, with --before, another commit's, alternating in rounds in one
 * process so the machine's load weighs on all alike. Reports the p50/p99 of each invoke and the
 * CPU time per invoke of this process plus its host processes (from /proc/PID/stat, in clock
 * ticks of 10 ms: use enough invocations per round), and the write syscalls per invoke of this
 * process (/proc/self/io: the IPC messages to the host processes). The hop is host p50 minus
 * inline p50.
 *
 * The other commit's executor is a copy of its `runtime`, `core` and `docker/shim` folders:
 *   mkdir -p /tmp/before && git archive COMMIT runtime core docker/shim | tar -x -C /tmp/before
 *   ln -s "$PWD/node_modules" /tmp/before/node_modules
 *
 * Run: node bench/micro/isolate-host-hop.ts [--before /tmp/before] [--invocations N] [--rounds N]
 *        [--concurrency C] [--gap-ms MS] [--event]
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { Executor } from '../../core/executor.ts';
import { FixtureBundles } from '../../test/fixtures/bundles/fixture-bundles.ts';
import {
  eventPayload,
  httpPayload,
  invocationContext,
} from '../../test/fixtures/bundles/invocations.ts';
import { beforeRoot, importFrom, median, THIS_TREE } from './before-copy.ts';

const { values } = parseArgs({
  options: {
    before: { type: 'string' },
    invocations: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '1' },
    'gap-ms': { type: 'string', default: '0' },
    /** An event handler (event-echo) instead of the fetch one, as in the async row. */
    event: { type: 'boolean', default: false },
  },
});
const N = Number(values.invocations);
const C = Number(values.concurrency);
/**
 * Idle time between one worker's invocations. End to end at c=1 each process of the path sleeps
 * while the others (load generator, gateway, broker) work, and a sleeping process is slower to
 * wake than one in a tight loop; a gap of a few ms measures the hop as it is paid there.
 */
const GAP_MS = Number(values['gap-ms']);
/** Linux's USER_HZ: /proc/PID/stat counts CPU time in hundredths of a second. */
const TICK_MS = 10;

interface Variant {
  name: string;
  executor: Executor;
  pids: () => number[];
}

type HostClass = new (options: {
  loadCode: FixtureBundles['load'];
  processes: number;
}) => Executor & {
  pids: number[];
  ready: number;
};

async function hosted(name: string, root: string, fixtures: FixtureBundles): Promise<Variant> {
  const module = await importFrom<{ IsolateHostExecutor: HostClass }>(
    root,
    'runtime/isolate-host/isolate-host-executor.ts',
  );
  const executor = new module.IsolateHostExecutor({ loadCode: fixtures.load, processes: 1 });
  return { name, executor, pids: () => executor.pids };
}

async function inline(root: string, fixtures: FixtureBundles): Promise<Variant> {
  const module = await importFrom<{
    IsolateExecutor: new (options: { loadCode: FixtureBundles['load'] }) => Executor;
  }>(root, 'runtime/isolate/isolate-executor.ts');
  return {
    name: 'inline',
    executor: new module.IsolateExecutor({ loadCode: fixtures.load }),
    pids: () => [],
  };
}

function childTicks(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    // Fields after the parenthesised command: utime and stime are the 14th and 15th of the line.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks;
}

const fixtures = new FixtureBundles();
const fn = await fixtures.spec(values.event ? 'event-echo' : 'hello');
const payload = values.event
  ? eventPayload({ name: 'hop' })
  : httpPayload('GET', 'http://hop.test/');
const variants = [
  await inline(THIS_TREE, fixtures),
  ...(values.before === undefined
    ? []
    : [await hosted('host-before', beforeRoot(values.before), fixtures)]),
  await hosted('host-after', THIS_TREE, fixtures),
];

interface Round {
  p50: number;
  p99: number;
  cpuUs: number;
  /** Of which in the host processes. */
  childUs: number;
  /** Write syscalls of this process per invoke. */
  writes: number;
  perSecond: number;
}

function writeSyscalls(): number {
  return Number(/syscw: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))?.[1]);
}

async function round(variant: Variant): Promise<Round> {
  const times: number[] = [];
  const cpu = process.cpuUsage();
  const ticks = childTicks(variant.pids());
  const writes = writeSyscalls();
  const began = performance.now();
  // C invocations in flight, each worker starting its next one when its last one is answered.
  const worker = async (count: number): Promise<void> => {
    for (let i = 0; i < count; i++) {
      const start = performance.now();
      const outcome = await variant.executor.invoke(fn, payload, invocationContext());
      times.push(performance.now() - start);
      if (!outcome.ok) throw new Error(`${variant.name}: ${JSON.stringify(outcome.error)}`);
      if (GAP_MS > 0) await sleep(GAP_MS);
    }
  };
  await Promise.all(Array.from({ length: C }, () => worker(Math.ceil(N / C))));
  const perSecond = times.length / ((performance.now() - began) / 1000);
  const used = process.cpuUsage(cpu);
  const written = writeSyscalls() - writes;
  const childMs = (childTicks(variant.pids()) - ticks) * TICK_MS;
  times.sort((a, b) => a - b);
  const at = (q: number): number =>
    times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
  return {
    p50: at(0.5),
    p99: at(0.99),
    cpuUs: (((used.user + used.system) / 1000 + childMs) * 1000) / times.length,
    childUs: (childMs * 1000) / times.length,
    writes: written / times.length,
    perSecond,
  };
}

for (const variant of variants) {
  // Warm: the host process started, the bundle fetched, the isolate built.
  for (let i = 0; i < 200; i++) await variant.executor.invoke(fn, payload, invocationContext());
}
const results = new Map<string, Round[]>();
const show = (r: Round): string =>
  `p50 ${r.p50.toFixed(3)} ms, p99 ${r.p99.toFixed(3)} ms, ` +
  `CPU ${r.cpuUs.toFixed(0)} µs/invoke (hosts ${r.childUs.toFixed(0)}), ` +
  `${r.writes.toFixed(2)} writes/invoke, ${r.perSecond.toFixed(0)}/s`;
for (let r = 0; r < Number(values.rounds); r++) {
  // Each round starts with another variant: the one after a burst runs beside the previous
  // variant's leftovers (its processes' GC and idle work), which cost it about 10% here.
  const order = [...variants.slice(r % variants.length), ...variants.slice(0, r % variants.length)];
  for (const variant of order) {
    const result = await round(variant);
    results.set(variant.name, [...(results.get(variant.name) ?? []), result]);
    console.log(`round ${r + 1} ${variant.name} (c=${C}, gap ${GAP_MS} ms): ${show(result)}`);
  }
}
for (const [name, rounds] of results) {
  const of = (key: keyof Round): number => median(rounds.map((r) => r[key]));
  const medians = {
    p50: of('p50'),
    p99: of('p99'),
    cpuUs: of('cpuUs'),
    childUs: of('childUs'),
    writes: of('writes'),
    perSecond: of('perSecond'),
  };
  console.log(`median ${name} (c=${C}, gap ${GAP_MS} ms): ${show(medians)}`);
}
console.log(
  `load average: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
);
for (const variant of variants) await variant.executor.dispose();
