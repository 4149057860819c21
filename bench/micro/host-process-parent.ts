/**
 * Micro-benchmark of the node's side of the isolate host hop (not a test): IsolateHostExecutor
 * with one host process that is a stub (host-stub-child.ts: it answers each message at once and
 * runs nothing), so the CPU time of this process per invocation is the parent's part only:
 * HostProcess's bookkeeping, the JSON encoding and write of the invocations, the read and
 * decoding of the outcomes. C workers keep C invocations in flight (the async row's function has
 * concurrency 4), this tree's executor against another commit's copy (before-copy.ts; `runtime`
 * and `core`), alternating in rounds; medians.
 *
 * Run: node bench/micro/host-process-parent.ts --before /tmp/before [--invocations N]
 *        [--rounds N] [--concurrency C]
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Executor } from '../../core/executor.ts';
import type { FunctionSpec } from '../../core/messages.ts';
import { beforeAndAfter, importFrom, median, THIS_TREE } from './before-copy.ts';

const { values } = parseArgs({
  options: {
    before: { type: 'string' },
    invocations: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '4' },
  },
});
const N = Number(values.invocations);
const C = Number(values.concurrency);

type HostClass = new (options: {
  loadCode: (sha: string) => Promise<string>;
  processes: number;
  entry: string;
}) => Executor;

const entry = join(THIS_TREE, 'bench/micro/host-stub-child.ts');
const variants = await beforeAndAfter(values.before, async (root) => {
  const { IsolateHostExecutor } = await importFrom<{ IsolateHostExecutor: HostClass }>(
    root,
    'runtime/isolate-host/isolate-host-executor.ts',
  );
  return new IsolateHostExecutor({ loadCode: () => Promise.resolve(''), processes: 1, entry });
});

// As a delivery of the async row's function carries it.
const fn: FunctionSpec = {
  name: 'probe-after-bench-event',
  version: 1,
  bundleSha: 'a'.repeat(64),
  runtime: 'isolate',
  memoryMb: 128,
  timeoutMs: 5000,
  concurrency: 4,
  env: {},
};
let next = 0;
const invokeOne = (executor: Executor): Promise<unknown> => {
  next += 1;
  const id = `01JD4ZK4M8Q3V6X9B2C5${String(next).padStart(6, '0')}`;
  return executor.invoke(
    fn,
    { kind: 'event', data: { n: 1 } },
    { id, callId: id, attempt: 1, deadline: Date.now() + 5000 },
  );
};

async function round(executor: Executor): Promise<number> {
  const cpu = process.cpuUsage();
  const worker = async (count: number): Promise<void> => {
    for (let i = 0; i < count; i++) await invokeOne(executor);
  };
  await Promise.all(Array.from({ length: C }, () => worker(Math.ceil(N / C))));
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / N;
}

for (const [, executor] of variants) for (let i = 0; i < 2000; i++) await invokeOne(executor);
const perRound = new Map<string, number[]>();
for (let r = 0; r < Number(values.rounds); r++) {
  const order = r % 2 === 0 ? variants : [...variants].reverse();
  for (const [name, executor] of order) {
    const us = await round(executor);
    perRound.set(name, [...(perRound.get(name) ?? []), us]);
    console.log(`round ${r + 1} ${name} (c=${C}): ${us.toFixed(1)} µs CPU/invoke (this process)`);
  }
}
for (const [name, rounds] of perRound)
  console.log(`median ${name} (c=${C}): ${median(rounds).toFixed(1)} µs CPU/invoke`);
console.log(
  `load average: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
for (const [, executor] of variants) await executor.dispose();
