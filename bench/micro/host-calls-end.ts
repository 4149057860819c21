/**
 * Micro-benchmark of the host-call scope every isolate invocation opens and closes
 * (runtime/isolate/host-calls.ts `begin` / `end`), for an invocation that makes no host call,
 * as most do: this tree's against another commit's copy (see before-copy.ts; `runtime` and
 * `core` are enough), alternating in rounds in one process; CPU time per invocation.
 *
 * Run: node bench/micro/host-calls-end.ts --before /tmp/before [--invocations N] [--rounds N]
 */
import { parseArgs } from 'node:util';
import { beforeAndAfter, importFrom, median } from './before-copy.ts';

const { values } = parseArgs({
  options: {
    before: { type: 'string' },
    invocations: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '3' },
  },
});
const N = Number(values.invocations);

interface Scopes {
  begin(generation: number, deadline: number): void;
  end(): void;
}
type ScopesClass = new (operations: object, deliver: () => void) => Scopes;

const variants = await beforeAndAfter(
  values.before,
  async (root) =>
    (await importFrom<{ HostCalls: ScopesClass }>(root, 'runtime/isolate/host-calls.ts')).HostCalls,
);
const perRound = new Map<string, number[]>();
for (let r = 0; r < Number(values.rounds); r++) {
  for (const [name, HostCalls] of variants) {
    const calls = new HostCalls({}, () => undefined);
    const cpu = process.cpuUsage();
    for (let g = 1; g <= N; g++) {
      calls.begin(g, Date.now() + 5000);
      calls.end();
    }
    const used = process.cpuUsage(cpu);
    const us = (used.user + used.system) / N;
    perRound.set(name, [...(perRound.get(name) ?? []), us]);
    console.log(`${name}: ${us.toFixed(2)} µs CPU per invocation`);
  }
}
for (const [name, xs] of perRound) {
  console.log(`median ${name}: ${median(xs).toFixed(2)} µs CPU per invocation (${N} invocations)`);
}
