/**
 * RSS per warm idle isolate: N functions, each invoked once so the executor keeps one warm
 * isolate for each, then (after GC) the RSS growth divided by N. The first isolate is made
 * before the first reading, so one-time costs (the prelude snapshot, code caches) are not
 * spread over the others. `baseline` does the same with bare isolated-vm isolates + contexts.
 * Prints one JSON line. Needs --expose-gc.
 *
 * Run: node --expose-gc bench/probes/isolate-memory.ts fjord|baseline N
 */
import ivm from 'isolated-vm';
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import { bundled, context, expectOutcome, GET_PAYLOAD, specOf } from './executor-fixture.ts';

const [mode = 'fjord', count = '50'] = process.argv.slice(2);
const N = Number(count);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

/** RSS in bytes once garbage and freed pages had a moment to go. */
async function settledRss(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc!();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return process.memoryUsage().rss;
}

async function fjord(): Promise<{ before: number; after: number; instances: number }> {
  const hello = await bundled('bench-fetch');
  // The node-wide prewarm budget would reap warm isolates beyond it: this probe measures N of them.
  const executor = new IsolateExecutor({
    loadCode: async () => hello.code,
    prewarmBudget: N + 1,
  });
  const warmUp = async (name: string): Promise<void> =>
    expectOutcome(await executor.invoke(specOf(hello, name, 1), GET_PAYLOAD, context()), true);
  await warmUp('first');
  const before = await settledRss();
  for (let i = 0; i < N; i++) await warmUp(`fn-${i}`);
  const after = await settledRss();
  const { instances } = executor.stats();
  await executor.dispose();
  return { before, after, instances };
}

async function baseline(): Promise<{ before: number; after: number; instances: number }> {
  const kept: ivm.Isolate[] = [];
  const make = async (): Promise<void> => {
    const isolate = new ivm.Isolate({ memoryLimit: 128 });
    const ctx = await isolate.createContext();
    await ctx.eval('globalThis.hello = () => "hello"; hello()');
    kept.push(isolate);
  };
  await make();
  const before = await settledRss();
  for (let i = 0; i < N; i++) await make();
  const after = await settledRss();
  const instances = kept.length;
  for (const isolate of kept) isolate.dispose();
  return { before, after, instances };
}

const { before, after, instances } = mode === 'baseline' ? await baseline() : await fjord();
console.log(
  JSON.stringify({
    mode,
    count: N,
    instances,
    rssBeforeMb: before / 2 ** 20,
    rssAfterMb: after / 2 ** 20,
    mbPerIsolate: (after - before) / 2 ** 20 / N,
  }),
);
