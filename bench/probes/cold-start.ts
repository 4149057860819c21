/**
 * Isolate cold start, from the executor directly: every sample invokes a new version of the
 * hello fetch handler (and, separately, of the Hono example app, functions/hono-app), so the
 * executor must create an isolate, load the bundle and run it (coldStart true, checked), then
 * the version is evicted; a new version finds the executor's blank isolates ready (booted ahead
 * of any function), and again with none (from nothing). The warm figures: the same version's
 * second invocation, and one isolate after hundreds of invocations. Then the share of cold starts under a steady load once warm. The baseline is what isolated-vm alone
 * pays: a new isolate and context, one trivial eval; between the two, an isolate and context made
 * from Fjord's prelude snapshot, which is the part of a cold start that no function changes. A few first samples warm the prelude
 * snapshot and the JIT and are dropped. Prints one JSON line.
 *
 * Run: node bench/probes/cold-start.ts SAMPLES
 */
import ivm from 'isolated-vm';
import { join } from 'node:path';
import type { InvocationPayload } from '../../core/messages.ts';
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import { Prelude } from '../../runtime/isolate/prelude.ts';
import { summariseDurations } from '../support/stats.ts';
import {
  bundled,
  context,
  EXAMPLE_FUNCTIONS,
  expectOutcome,
  GET_PAYLOAD,
  getPayload,
  specOf,
  type BundledFunction,
} from './executor-fixture.ts';
import { steadyLoad } from './steady-load.ts';

const samples = Number(process.argv[2] ?? 100);
const WARMUP = 5;
/** Invocations of one isolate before its steady warm figure is taken (the JIT settles). */
const STEADY_WARMUP = 500;

/** Invocations per concurrent caller in the steady-load phase. */
const STEADY_PER_CALLER = 250;

/**
 * Each new version arrives once the executor's blank isolates are ready (booted ahead, as between
 * deploys), which is what users get; with `blankIsolates` 0 it starts from nothing.
 */
async function fjordColdStarts(
  fn: BundledFunction,
  payload: InvocationPayload,
  blankIsolates?: number,
): Promise<{ cold: number[]; warm: number[] }> {
  const executor = new IsolateExecutor({
    loadCode: async () => fn.code,
    ...(blankIsolates === undefined ? {} : { blankIsolates }),
  });
  const cold: number[] = [];
  const warm: number[] = [];
  try {
    for (let i = 0; i < WARMUP + samples; i++) {
      const spec = specOf(fn, 'cold', i + 1);
      await executor.fillBlanks();
      const started = performance.now();
      const first = await executor.invoke(spec, payload, context());
      const coldMs = performance.now() - started;
      expectOutcome(first, true);
      const again = performance.now();
      expectOutcome(await executor.invoke(spec, payload, context()), false);
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

/** One warm isolate invoked again and again, as a steady stream of calls finds it. */
async function fjordWarmSteady(fn: BundledFunction): Promise<number[]> {
  const executor = new IsolateExecutor({ loadCode: async () => fn.code });
  const spec = specOf(fn, 'steady-warm', 1);
  const times: number[] = [];
  try {
    for (let i = 0; i < STEADY_WARMUP + samples; i++) {
      const started = performance.now();
      expectOutcome(await executor.invoke(spec, GET_PAYLOAD, context()), i === 0);
      if (i >= STEADY_WARMUP) times.push(performance.now() - started);
    }
  } finally {
    await executor.dispose();
  }
  return times;
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

/** The hello handler at its concurrency (4 isolates), warm, under a closed loop of 4 callers. */
async function steadyColdStarts(fn: BundledFunction) {
  const executor = new IsolateExecutor({ loadCode: async () => fn.code });
  try {
    const spec = specOf(fn, 'steady', 1, { concurrency: 4 });
    return await steadyLoad(executor, spec, GET_PAYLOAD, 4 * STEADY_PER_CALLER);
  } finally {
    await executor.dispose();
  }
}

const hello = await bundled('bench-fetch');
const hono = await bundled(join(EXAMPLE_FUNCTIONS, 'hono-app'));
const fjord = await fjordColdStarts(hello, GET_PAYLOAD);
const fromNothing = await fjordColdStarts(hello, GET_PAYLOAD, 0);
const warmSteady = await fjordWarmSteady(hello);
const honoApp = await fjordColdStarts(hono, getPayload('/api/books/1'));
const steady = await steadyColdStarts(hello);
const prelude = await preludeIsolates();
const baseline = await isolatedVmBaseline();
console.log(
  JSON.stringify({
    fjord: summariseDurations(fjord.cold),
    warmInvoke: summariseDurations(fjord.warm),
    fromNothing: summariseDurations(fromNothing.cold),
    warmSteady: summariseDurations(warmSteady),
    hono: summariseDurations(honoApp.cold),
    honoWarmInvoke: summariseDurations(honoApp.warm),
    steady,
    preludeIsolate: summariseDurations(prelude),
    isolatedVm: summariseDurations(baseline),
  }),
);
