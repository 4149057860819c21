/**
 * Probe of sync HTTP latency at c=1 through RabbitMQ (not a test): `fn up` of this tree and of
 * another checkout (a `git worktree` of the base commit, with node_modules linked), each on a
 * vhost of its own, the latency row's handler deployed on both, measured in alternating rounds
 * with the row's load generator (autocannon, one connection). Reports p50/p99/p99.9 of each round
 * and the CPU time per request of each `fn up` process tree (its isolate host processes included).
 *
 *   git worktree add --detach /tmp/base BASE && ln -s "$PWD/node_modules" /tmp/base/node_modules
 *   node bench/probes/sync-trace.ts --before /tmp/base [--after DIR] [--rounds N] [--seconds S]
 *     [--inline]
 *
 * The vhosts (fjord-probe-*) are created with rabbitmqctl and deleted at the end.
 */
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Children } from '../support/child.ts';
import { httpRunner } from '../support/http-load.ts';
import { treeCpuMs } from '../support/process-tree.ts';
import { percentile } from '../support/stats.ts';
import { type ProbeStack, startProbeStack } from './probe-stack.ts';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'amqp://guest:guest@127.0.0.1:5672' },
    before: { type: 'string' },
    after: { type: 'string' },
    rounds: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '5' },
    inline: { type: 'boolean', default: false },
  },
});
if (values.before === undefined) throw new Error('--before DIR is required (see the header)');
const ROUNDS = Number(values.rounds);
const SECONDS = Number(values.seconds);
const HERE = resolve(import.meta.dirname, '../..');

async function start(root: string, label: string, children: Children): Promise<ProbeStack> {
  const fjord = values.inline ? { inlineIsolates: true } : {};
  const stack = await startProbeStack({ root, label, amqpUrl: values.url, children, fjord });
  await stack.deploy('bench-fetch', `probe-${label}`);
  await stack.call(`probe-${label}`);
  return stack;
}

const children = new Children();
const stacks = {
  before: await start(resolve(values.before), 'before', children),
  after: await start(resolve(values.after ?? HERE), 'after', children),
};
const summary: Record<string, { p50: number[]; p99: number[]; p999: number[]; cpuUs: number[] }> =
  {};
try {
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['before', 'after'] as const) : (['after', 'before'] as const);
    for (const label of order) {
      const stack = stacks[label];
      const run = httpRunner(`${stack.url}/fn/probe-${label}/?n=1`);
      await run(1, 1);
      const cpu0 = await treeCpuMs(stack.pids());
      const { latenciesMs } = await run(1, SECONDS);
      const cpu1 = await treeCpuMs(stack.pids());
      const sorted = latenciesMs.toSorted((a, b) => a - b);
      const entry = (summary[label] ??= { p50: [], p99: [], p999: [], cpuUs: [] });
      entry.p50.push(percentile(sorted, 50));
      entry.p99.push(percentile(sorted, 99));
      entry.p999.push(percentile(sorted, 99.9));
      entry.cpuUs.push(((cpu1 - cpu0) / sorted.length) * 1e3);
      const f = (n: number | undefined): string => (n ?? NaN).toFixed(3);
      console.log(
        `round ${round} ${label.padEnd(6)} p50 ${f(entry.p50.at(-1))} p99 ${f(entry.p99.at(-1))} ` +
          `p99.9 ${f(entry.p999.at(-1))} ms, ` +
          `${Math.round(entry.cpuUs.at(-1) ?? NaN)} µs CPU/req, ${sorted.length} req, ` +
          `load ${(loadavg()[0] ?? 0).toFixed(2)}`,
      );
    }
  }
  const median = (xs: number[]): number =>
    percentile(
      xs.toSorted((a, b) => a - b),
      50,
    );
  for (const [label, { p50, p99, p999, cpuUs }] of Object.entries(summary)) {
    console.log(
      `median ${label.padEnd(6)} p50 ${median(p50).toFixed(3)} p99 ${median(p99).toFixed(3)} ` +
        `p99.9 ${median(p999).toFixed(3)} ms, ` +
        `${Math.round(median(cpuUs))} µs CPU/req`,
    );
  }
} finally {
  await Promise.allSettled([stacks.before.stop(), stacks.after.stop()]);
}
