/**
 * Micro-benchmark of a warm invocation from the isolate executor (runtime/isolate): the hello
 * fetch handler (bench/functions/bench-fetch) invoked again and again on one warm isolate, with
 * no gateway, broker or host process around it. Reports the wall time (p50) and the CPU time of
 * the whole process (every thread, the isolate's included) per invocation. With `--cold` it
 * measures cold starts instead: a new version per sample, evicted after its first invocation,
 * each from a blank isolate booted ahead (`--blanks 0`: from nothing); the CPU time then
 * includes booting the blank isolate that replaces the one taken.
 * Run it under `node --cpu-prof` to see where the time goes.
 *
 * Run: node bench/micro/isolate-invoke.ts [--invocations N] [--rounds N] [--cold] [--blanks N]
 */
import { parseArgs } from 'node:util';
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import {
  bundled,
  context,
  expectOutcome,
  GET_PAYLOAD,
  specOf,
} from '../probes/executor-fixture.ts';

const { values } = parseArgs({
  options: {
    invocations: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '3' },
    cold: { type: 'boolean', default: false },
    blanks: { type: 'string', default: '2' },
  },
});
const N = Number(values.invocations);
const cold = values.cold;

const hello = await bundled('bench-fetch');
const executor = new IsolateExecutor({
  loadCode: async () => hello.code,
  blankIsolates: Number(values.blanks),
});
let version = 0;

async function once(): Promise<number> {
  if (cold) version += 1;
  const spec = specOf(hello, 'micro', cold ? version : 1);
  // A new version arrives when the blank isolates are ready, as between deploys.
  if (cold) await executor.fillBlanks();
  const started = performance.now();
  const outcome = await executor.invoke(spec, GET_PAYLOAD, context());
  const ms = performance.now() - started;
  if (!outcome.ok) throw new Error(`invocation failed: ${JSON.stringify(outcome.error)}`);
  if (cold) {
    expectOutcome(outcome, true);
    await executor.evict('micro');
  }
  return ms;
}

try {
  for (let i = 0; i < (cold ? 10 : 500); i++) await once(); // JIT, prelude, first isolate
  for (let r = 0; r < Number(values.rounds); r++) {
    const times: number[] = [];
    const cpu = process.cpuUsage();
    for (let i = 0; i < N; i++) times.push(await once());
    const used = process.cpuUsage(cpu);
    times.sort((a, b) => a - b);
    const p50 = times[Math.floor(times.length / 2)] ?? 0;
    const cpuMs = (used.user + used.system) / 1000 / N;
    console.log(
      `round ${r + 1}: ${cold ? 'cold' : 'warm'} p50 ${p50.toFixed(3)} ms, ` +
        `CPU ${cpuMs.toFixed(3)} ms per invocation (${N} invocations)`,
    );
  }
} finally {
  await executor.dispose();
}
