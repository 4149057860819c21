/**
 * Isolate cold start, from the executor directly: every sample invokes a new version of the
 * hello fetch handler, so the executor must create an isolate, load the bundle and run it
 * (coldStart true, checked), then the version is evicted. The baseline is what isolated-vm alone
 * pays: a new isolate and context, one trivial eval; between the two, an isolate and context made
 * from Fjord's prelude snapshot, which is the part of a cold start that no function changes. A few first samples warm the prelude
 * snapshot and the JIT and are dropped. Prints one JSON line.
 *
 * Run: node bench/probes/cold-start.ts SAMPLES
 */
import ivm from 'isolated-vm';
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import { Prelude } from '../../runtime/isolate/prelude.ts';
import { summariseDurations } from '../support/stats.ts';
import { bundled, context, expectOutcome, GET_PAYLOAD, specOf } from './executor-fixture.ts';

const samples = Number(process.argv[2] ?? 100);
const WARMUP = 5;

async function fjordColdStarts(): Promise<{ cold: number[]; warm: number[] }> {
  const hello = await bundled('bench-fetch');
  const executor = new IsolateExecutor({ loadCode: async () => hello.code });
  const cold: number[] = [];
  const warm: number[] = [];
  try {
    for (let i = 0; i < WARMUP + samples; i++) {
      const spec = specOf(hello, 'cold', i + 1);
      const started = performance.now();
      const first = await executor.invoke(spec, GET_PAYLOAD, context());
      const coldMs = performance.now() - started;
      expectOutcome(first, true);
      const again = performance.now();
      expectOutcome(await executor.invoke(spec, GET_PAYLOAD, context()), false);
      const warmMs = performance.now() - again;
      if (i >= WARMUP) {
        cold.push(coldMs);
        warm.push(warmMs);
      }
      await executor.evict('cold');
    }
  } finally {
    await executor.dispose();
  }
  return { cold, warm };
}

async function isolatedVmBaseline(): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < WARMUP + samples; i++) {
    const started = performance.now();
    const isolate = new ivm.Isolate({ memoryLimit: 128 });
    const context = await isolate.createContext();
    await context.eval('"hello"');
    const ms = performance.now() - started;
    context.release();
    isolate.dispose();
    if (i >= WARMUP) times.push(ms);
  }
  return times;
}

/** An isolate and a context from the prelude snapshot, as the executor makes them. */
async function preludeIsolates(): Promise<number[]> {
  const prelude = await Prelude.build('snapshot');
  const times: number[] = [];
  for (let i = 0; i < WARMUP + samples; i++) {
    const started = performance.now();
    const isolate = prelude.createIsolate({ memoryLimit: 128 });
    const context = await isolate.createContext();
    await prelude.install(isolate, context);
    await context.eval('"hello"');
    const ms = performance.now() - started;
    context.release();
    isolate.dispose();
    if (i >= WARMUP) times.push(ms);
  }
  return times;
}

const fjord = await fjordColdStarts();
const prelude = await preludeIsolates();
const baseline = await isolatedVmBaseline();
console.log(
  JSON.stringify({
    fjord: summariseDurations(fjord.cold),
    warmInvoke: summariseDurations(fjord.warm),
    preludeIsolate: summariseDurations(prelude),
    isolatedVm: summariseDurations(baseline),
  }),
);
