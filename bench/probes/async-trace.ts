/**
 * Probe of async throughput through RabbitMQ (not a test): `fn up` of several checkouts (e.g.
 * `git worktree`s of the base commit and of a variant, with node_modules linked), each on a vhost
 * of its own, the async row's handler deployed on each, measured in rotating rounds with the
 * row's load (POST .../invocations, closed-loop keep-alive clients, then waiting until every
 * accepted invocation finished). Reports per round and as medians: the CPU time of each `fn up`
 * process tree (its isolate host processes included) per completed invocation, and completions
 * per second from the first request to the last completion.
 *
 *   git worktree add --detach /tmp/base BASE && ln -s "$PWD/node_modules" /tmp/base/node_modules
 *   node bench/probes/async-trace.ts --tree before=/tmp/base --tree after=. [--rounds N]
 *     [--seconds S] [--connections C]
 *
 * The vhosts (fjord-probe-*) are created with rabbitmqctl and deleted at the end.
 */
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Children } from '../support/child.ts';
import { httpLoad } from '../support/http-load.ts';
import { treeCpuMs } from '../support/process-tree.ts';
import { percentile } from '../support/stats.ts';
import { type ProbeStack, startProbeStack } from './probe-stack.ts';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'amqp://guest:guest@127.0.0.1:5672' },
    tree: { type: 'string', multiple: true, default: [] },
    rounds: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '32' },
  },
});
const trees = values.tree.map((spec) => {
  const [label, dir] = spec.split('=');
  if (!label || !dir) throw new Error(`--tree LABEL=DIR, not ${spec}`);
  return { label, root: resolve(dir) };
});
if (trees.length === 0) throw new Error('at least one --tree LABEL=DIR is required');
const ROUNDS = Number(values.rounds);
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);

async function start(root: string, label: string, children: Children): Promise<ProbeStack> {
  const stack = await startProbeStack({ root, label, amqpUrl: values.url, children });
  await stack.deploy('bench-event', `probe-${label}`);
  return stack;
}

/** One round: the load, then the drain; CPU per completed invocation and completions per s. */
async function round(stack: ProbeStack, name: string): Promise<{ cpuUs: number; perS: number }> {
  const before = await Promise.all([stack.finished(name), stack.finished(name, 'failed')]);
  const cpu0 = await treeCpuMs(stack.pids());
  const started = performance.now();
  const load = await httpLoad({
    url: `${stack.url}/v1/functions/${name}/invocations`,
    method: 'POST',
    headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ n: 1 }),
    connections: CONNECTIONS,
    durationS: SECONDS,
  });
  const accepted = load.statuses[202] ?? 0;
  let done = 0;
  while (done < accepted) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = await Promise.all([stack.finished(name), stack.finished(name, 'failed')]);
    done = now[0] - before[0] + (now[1] - before[1]);
  }
  const totalS = (performance.now() - started) / 1000;
  const cpuMs = (await treeCpuMs(stack.pids())) - cpu0;
  return { cpuUs: (cpuMs * 1000) / done, perS: done / totalS };
}

const children = new Children();
const stacks: ProbeStack[] = [];
const summary = new Map<string, { cpuUs: number[]; perS: number[] }>();
try {
  for (const tree of trees) stacks.push(await start(tree.root, tree.label, children));
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < trees.length; k++) {
      const i = (k + r) % trees.length;
      const { label } = trees[i] ?? { label: '' };
      const stack = stacks[i];
      if (stack === undefined) continue;
      const { cpuUs, perS } = await round(stack, `probe-${label}`);
      const entry = summary.get(label) ?? { cpuUs: [], perS: [] };
      summary.set(label, entry);
      entry.cpuUs.push(cpuUs);
      entry.perS.push(perS);
      console.log(
        `round ${r} ${label.padEnd(10)} ${Math.round(cpuUs)} µs CPU/inv, ${Math.round(perS)} /s, ` +
          `load ${(loadavg()[0] ?? 0).toFixed(2)}`,
      );
    }
  }
  const median = (xs: number[]): number =>
    percentile(
      xs.toSorted((a, b) => a - b),
      50,
    );
  for (const [label, { cpuUs, perS }] of summary) {
    console.log(
      `median ${label.padEnd(10)} ${Math.round(median(cpuUs))} µs CPU/inv, ` +
        `${Math.round(median(perS))} /s (${cpuUs.length} rounds)`,
    );
  }
} finally {
  await Promise.allSettled(stacks.map((stack) => stack.stop()));
}
