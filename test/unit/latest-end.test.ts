/**
 * The latest end of a run that may wait for a free isolate (runtime/latest-end.ts): unchanged
 * while an isolate is free for it, one timeout later per `concurrency` runs in front, only for
 * contexts with a timeout counted from the lease; and the node's executor wrapper counts the
 * runs in flight per function.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ExecutionOutcome, Executor, InvocationContext } from '../../core/executor.ts';
import { LatestEnds, latestEnd, runContext, sentAhead } from '../../runtime/latest-end.ts';
import { attemptContext } from '../../runtime/run-invocation.ts';
import { eventPayload } from '../fixtures/bundles/invocations.ts';
import { invocation, spec } from '../support/fixtures.ts';

const ctx = (deadline: number, timeoutMs?: number): InvocationContext => ({
  id: 'i',
  callId: 'c',
  attempt: 1,
  deadline,
  ...(timeoutMs === undefined ? {} : { timeoutMs }),
});

test('the latest end grows by one timeout per concurrency runs in front', () => {
  const end = (before: number, concurrency = 4, timeoutMs = 100) =>
    latestEnd(ctx(1000, 100), before, concurrency, timeoutMs).deadline;
  assert.equal(end(3), 1000, 'an isolate is free for it');
  assert.equal(end(4), 1100, 'one run in front');
  assert.equal(end(7), 1100, 'four in front, four at a time');
  assert.equal(end(8), 1200, 'five in front');
  assert.equal(end(15), 1300);
  assert.equal(end(2, 0), 1200, 'concurrency 0 counts as 1');
  assert.equal(end(4, 4, 900), 1900, 'the runs in front may have a longer timeout');
  assert.equal(latestEnd(ctx(1000), 15, 4, 100).deadline, 1000, 'no timeout of its own');
  const sync = { ...ctx(1000, 100), notAfter: 1150 };
  assert.equal(latestEnd(sync, 8, 4, 100).deadline, 1150, "never past a sync caller's patience");
});

test('a run is sent ahead when runs in front moved its latest end beyond its own timeout', () => {
  const now = 900;
  const behind = latestEnd(ctx(now + 100, 100), 4, 4, 100);
  assert.equal(sentAhead(behind, now), true);
  assert.equal(sentAhead(latestEnd(ctx(now + 100, 100), 3, 4, 100), now), false, 'a free isolate');
  assert.equal(sentAhead(ctx(now + 5000), now), false, 'no timeout of its own: never ahead');
});

test("an attempt's context: isolates count their timeout from the lease, sync within its caller", () => {
  const async = attemptContext(
    invocation('f', null, { fn: spec('f', { timeoutMs: 300 }) }),
    1,
    1000,
  );
  assert.equal(async.deadline, 1300);
  assert.equal(async.timeoutMs, 300);
  assert.equal(async.notAfter, undefined);
  const sync = attemptContext(
    invocation('f', null, { fn: spec('f', { timeoutMs: 300 }), mode: 'sync', replyBy: 1200 }),
    1,
    1000,
  );
  assert.equal(sync.deadline, 1200, "the caller's patience is shorter than the timeout");
  assert.equal(sync.timeoutMs, 300, 'a wait for an isolate does not count against it either');
  assert.equal(sync.notAfter, 1200);
  const container = attemptContext(
    invocation('c', null, { fn: spec('c', { runtime: 'container', timeoutMs: 300 }) }),
    1,
    1000,
  );
  assert.equal(container.timeoutMs, undefined, 'containers take no run ahead');
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
  const v1 = spec('f', { version: 1, concurrency: 1, timeoutMs: 500 });
  const v2 = spec('f', { version: 2, concurrency: 2, timeoutMs: 100 });
  const other = spec('g', { concurrency: 1, timeoutMs: 100 });
  const runs = [
    executor.invoke(v1, eventPayload(null), ctx(1000, 500)),
    executor.invoke(v2, eventPayload(null), ctx(1000)), // No timeout of its own: as it is.
    executor.invoke(v2, eventPayload(null), ctx(1000, 100)),
    executor.invoke(other, eventPayload(null), ctx(1000, 100)),
  ];
  assert.deepEqual(
    seen.map((c) => c.deadline),
    [1000, 1000, 2000, 1000],
    "the third waits for both runs of f, one at a time (v1's limit), each up to v1's 500 ms; g counts apart",
  );
  for (const end of ends) end();
  await Promise.all(runs);
  const last = executor.invoke(v2, eventPayload(null), ctx(1000, 100));
  assert.equal(seen.at(-1)?.deadline, 1000, 'nothing in flight any more: an isolate is free');
  ends.at(-1)?.();
  await last;
});
