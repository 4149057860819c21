/**
 * A host process sends the outcomes of invocations that finish in the same event loop turn in one
 * message (runtime/isolate-host/outcome-batch.ts); each still reaches its own invocation.
 */
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { test } from 'node:test';
import type { ExecutionOutcome } from '../../core/executor.ts';
import { IsolateHostExecutor } from '../../runtime/isolate-host/isolate-host-executor.ts';
import type { ChildMessage } from '../../runtime/isolate-host/host-protocol.ts';
import { OutcomeBatch } from '../../runtime/isolate-host/outcome-batch.ts';
import { FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
import { eventPayload, invocationContext, valueOf } from '../fixtures/bundles/invocations.ts';
import { uniqueName } from '../support/fixtures.ts';
import { Inbox } from '../support/inbox.ts';

const outcome = (value: number): ExecutionOutcome => ({
  ok: true,
  value,
  coldStart: false,
  durationMs: 1,
  logs: [],
});

test('an outcome the channel cannot encode fails alone; the others of its batch arrive', () => {
  const sent: ChildMessage[] = [];
  // JSON, as the IPC channel encodes: a BigInt throws.
  const batch = new OutcomeBatch(
    (message) => sent.push(JSON.parse(JSON.stringify(message)) as ChildMessage),
    () => 1,
  );
  batch.begin();
  batch.begin();
  batch.add(1, { ok: true, value: 1n, coldStart: false, durationMs: 1, logs: [] });
  batch.add(2, outcome(2));
  const results = sent.flatMap((message) => (message.type === 'outcomes' ? message.results : []));
  assert.deepEqual(results.map((r) => r.id).sort(), [1, 2]);
  assert.deepEqual(results.find((r) => r.id === 2)?.outcome, outcome(2));
  const failed = results.find((r) => r.id === 1)?.outcome;
  assert.equal(failed?.ok, false);
  assert.equal(failed.ok ? undefined : failed.error.code, 'INTERNAL');
  assert.match(failed.ok ? '' : failed.error.message, /could not be sent.*BigInt/);
});

test('outcomes of one turn leave together; the last one in flight leaves at once', async () => {
  const sent: ChildMessage[] = [];
  let instances = 1;
  const batch = new OutcomeBatch(
    (message) => sent.push(message),
    () => instances,
  );
  for (let i = 0; i < 4; i++) batch.begin();
  batch.add(1, outcome(1));
  batch.add(2, outcome(2));
  instances = 2;
  assert.equal(sent.length, 0, 'two more are in flight: they may finish in this turn');
  await nextTurn();
  assert.deepEqual(sent, [
    {
      type: 'outcomes',
      results: [
        { id: 1, outcome: outcome(1) },
        { id: 2, outcome: outcome(2) },
      ],
      instances: 2,
    },
  ]);
  batch.add(3, outcome(3));
  batch.flush();
  assert.deepEqual(sent[1], {
    type: 'outcomes',
    results: [{ id: 3, outcome: outcome(3) }],
    instances: 2,
  });
  batch.add(4, outcome(4));
  assert.deepEqual(sent[2], {
    type: 'outcomes',
    results: [{ id: 4, outcome: outcome(4) }],
    instances: 2,
  });
  await nextTurn();
  assert.equal(sent.length, 3, 'nothing is sent twice');
});

test('lease notices ride with the next outcomes, or leave alone when none comes soon', async () => {
  const sent = new Inbox<ChildMessage>();
  const batch = new OutcomeBatch(
    (message) => sent.push(message),
    () => 1,
  );
  batch.begin();
  batch.begin();
  batch.leased(1, 5_000, false);
  batch.leased(2, 6_000, false);
  batch.add(1, outcome(1));
  assert.deepEqual(await sent.next(), {
    type: 'outcomes',
    results: [{ id: 1, outcome: outcome(1) }],
    leased: [
      [1, 5_000],
      [2, 6_000],
    ],
    instances: 1,
  });
  // A long run: no outcome to ride with, so its notice leaves on its own.
  batch.begin();
  batch.leased(3, 7_000, false);
  assert.deepEqual(await sent.next(), {
    type: 'outcomes',
    results: [],
    leased: [[3, 7_000]],
    instances: 1,
  });
});

test("a run sent ahead has its notice leave with this turn's outcomes, not after a delay", async () => {
  const sent: ChildMessage[] = [];
  const batch = new OutcomeBatch(
    (message) => sent.push(message),
    () => 1,
  );
  batch.begin();
  batch.leased(1, 5_000, false); // a timer of LEASE_NOTICE_MS for this one ...
  batch.begin();
  batch.leased(2, 6_000, true); // ... but this one goes at the turn's end, and takes it along
  assert.equal(sent.length, 0);
  await nextTurn();
  assert.deepEqual(sent, [
    {
      type: 'outcomes',
      results: [],
      leased: [
        [1, 5_000],
        [2, 6_000],
      ],
      instances: 1,
    },
  ]);
});

test('lease notices still leave when the outcomes they rode with cannot be encoded', () => {
  const sent: ChildMessage[] = [];
  const batch = new OutcomeBatch(
    (message) => sent.push(JSON.parse(JSON.stringify(message)) as ChildMessage),
    () => 1,
  );
  batch.begin();
  batch.leased(1, 5_000, false);
  batch.add(1, { ok: true, value: 1n, coldStart: false, durationMs: 1, logs: [] });
  assert.deepEqual(
    sent.flatMap((message) => (message.type === 'outcomes' ? (message.leased ?? []) : [])),
    [[1, 5_000]],
  );
  const failed = sent.flatMap((message) => (message.type === 'outcomes' ? message.results : []));
  assert.equal(failed[0]?.outcome.ok, false);
});

test('invocations in flight together on one host process each get their own outcome', async () => {
  const bundles = new FixtureBundles();
  const host = new IsolateHostExecutor({ loadCode: bundles.load, processes: 1 });
  try {
    const fn = await bundles.spec('event-echo', { name: uniqueName('echo'), concurrency: 8 });
    const roomy = () => invocationContext({ deadline: Date.now() + 120_000 });
    // The first invocation builds the prelude, which takes seconds on a loaded machine.
    valueOf(await host.invoke(fn, eventPayload({ name: 'warm' }), roomy()));
    const contexts = Array.from({ length: 8 }, roomy);
    const outcomes = await Promise.all(
      contexts.map((ctx, i) => host.invoke(fn, eventPayload({ name: `n${i}` }), ctx)),
    );
    assert.deepEqual(
      outcomes.map((o) => {
        const value = valueOf(o) as { greeting: string; invocationId: string };
        return [value.greeting, value.invocationId];
      }),
      contexts.map((ctx, i) => [`hello n${i}`, ctx.id]),
    );
    assert.ok(host.stats().instances >= 1);
  } finally {
    await host.dispose();
  }
});
