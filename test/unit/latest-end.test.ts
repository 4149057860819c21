/**
 * The latest end of a run that may wait for a free isolate (runtime/latest-end.ts): unchanged
 * while an isolate is free for it, one timeout later per `concurrency` runs in front, only for
 * contexts with a timeout counted from the lease; and the node's executor wrapper counts the
 * runs in flight per function.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ExecutionOutcome, Executor, InvocationContext } from '../../core/executor.ts';
import { LatestEnds, latestEnd, runContext } from '../../runtime/latest-end.ts';
import { eventPayload } from '../fixtures/bundles/invocations.ts';
import { spec } from '../support/fixtures.ts';

const ctx = (deadline: number, timeoutMs?: number): InvocationContext => ({
  id: 'i',
  callId: 'c',
  attempt: 1,
  deadline,
  ...(timeoutMs === undefined ? {} : { timeoutMs }),
});

test('the latest end grows by one timeout per concurrency runs in front', () => {
  assert.equal(latestEnd(ctx(1000, 100), 3, 4).deadline, 1000, 'an isolate is free for it');
  assert.equal(latestEnd(ctx(1000, 100), 4, 4).deadline, 1100, 'one run in front');
  assert.equal(latestEnd(ctx(1000, 100), 7, 4).deadline, 1100, 'four in front, four at a time');
  assert.equal(latestEnd(ctx(1000, 100), 8, 4).deadline, 1200, 'five in front');
  assert.equal(latestEnd(ctx(1000, 100), 15, 4).deadline, 1300);
  assert.equal(latestEnd(ctx(1000), 15, 4).deadline, 1000, 'no timeout of its own: as it is');
  assert.equal(latestEnd(ctx(1000, 100), 2, 0).deadline, 1200, 'concurrency 0 counts as 1');
});

test('a run that gets its isolate counts its timeout from then, within its latest end', () => {
  assert.equal(runContext(ctx(5000, 1000), 2000).deadline, 3000);
  assert.equal(runContext(ctx(5000, 1000), 4500).deadline, 5000, 'never past the latest end');
  assert.equal(runContext(ctx(5000), 2000).deadline, 5000, 'no timeout of its own');
});

test('the executor wrapper counts runs in flight per function, all kinds', async () => {
  const seen: InvocationContext[] = [];
  const ends: (() => void)[] = [];
  const inner: Executor = {
    invoke: (_fn, _payload, context) => {
      seen.push(context);
      return new Promise<ExecutionOutcome>((resolve) =>
        ends.push(() => resolve({ ok: true, coldStart: false, durationMs: 0, logs: [] })),
      );
    },
    evict: () => Promise.resolve(),
    stats: () => ({ instances: 0, coldStarts: 0, invocations: 0 }),
    dispose: () => Promise.resolve(),
  };
  const executor = new LatestEnds(inner);
  const fn = spec('f', { concurrency: 1, timeoutMs: 100 });
  const other = spec('g', { concurrency: 1, timeoutMs: 100 });
  const runs = [
    executor.invoke(fn, eventPayload(null), ctx(1000, 100)),
    executor.invoke(fn, eventPayload(null), ctx(1000)), // A sync run: no timeout of its own.
    executor.invoke(fn, eventPayload(null), ctx(1000, 100)),
    executor.invoke(other, eventPayload(null), ctx(1000, 100)),
  ];
  assert.deepEqual(
    seen.map((c) => c.deadline),
    [1000, 1000, 1200, 1000],
    'the third waits for two runs of f (the sync one too); g has its own count',
  );
  for (const end of ends) end();
  await Promise.all(runs);
  const last = executor.invoke(fn, eventPayload(null), ctx(1000, 100));
  assert.equal(seen.at(-1)?.deadline, 1000, 'nothing in flight any more: an isolate is free');
  ends.at(-1)?.();
  await last;
});
