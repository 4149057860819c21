/**
 * Where a prewarmed function version's memory goes: RSS and V8 heap of one IsolateExecutor
 * process after prewarming N versions (distinct bundles), then after invoking each once.
 * Run: node bench/micro/prewarm-memory.ts [N] [budget]
 */
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import { FixtureBundles } from '../../test/fixtures/bundles/fixture-bundles.ts';
import { eventPayload, invocationContext } from '../../test/fixtures/bundles/invocations.ts';

const n = Number(process.argv[2] ?? 100);
const budget = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
const fixtures = new FixtureBundles();
const executor = new IsolateExecutor({
  loadCode: fixtures.load,
  ...(budget === undefined ? {} : { prewarmBudget: budget }),
});
const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
function report(label: string): void {
  globalThis.gc?.();
  const m = process.memoryUsage();
  const s = executor.stats();
  console.log(
    `${label}: rss ${mb(m.rss)} MB, heapUsed ${mb(m.heapUsed)} MB, external ${mb(m.external)} MB, isolates ${s.instances}`,
  );
}
const base = await fixtures.spec('counter');
await executor.invoke(base, eventPayload(null), invocationContext());
report('one function invoked');
const code = await fixtures.load(base.bundleSha);
// A distinct bundle per version, as deployed functions have.
const specs = Array.from({ length: n }, (_, i) =>
  fixtures.specForCode(`mem-${i}`, `${code}\n// ${i}\n`),
);
for (const fn of specs) await executor.prewarm(fn, 1);
report(`${n} prewarmed`);
for (const fn of specs) await executor.invoke(fn, eventPayload(null), invocationContext());
report(`${n} invoked once`);
await executor.dispose();
report('disposed');
