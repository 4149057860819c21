/**
 * Micro-benchmark of the host-call scope every isolate invocation opens and closes
 * (runtime/isolate/host-calls.ts `begin` / `end`), for an invocation that makes no host call,
 * as most do: this tree's against another commit's copy (made as in sync-calls.ts, with
 * `runtime` in the archive), alternating in rounds in one process; CPU time per invocation.
 *
 * Run: node bench/micro/host-calls-end.ts --before /tmp/before [--invocations N] [--rounds N]
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    before: { type: 'string' },
    invocations: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '3' },
  },
});
if (values.before === undefined) throw new Error('--before DIR is required (see the header)');
const N = Number(values.invocations);

interface Scopes {
  begin(generation: number, deadline: number): void;
  end(): void;
}
type ScopesClass = new (operations: object, deliver: () => void) => Scopes;

async function load(root: string): Promise<ScopesClass> {
  const module = (await import(join(root, 'runtime/isolate/host-calls.ts'))) as {
    HostCalls: ScopesClass;
  };
  return module.HostCalls;
}

const variants = [
  ['before', await load(resolve(values.before))],
  ['after', await load(resolve(import.meta.dirname, '../..'))],
] as const;
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
  const median = [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  console.log(`median ${name}: ${median.toFixed(2)} µs CPU per invocation (${N} invocations)`);
}
