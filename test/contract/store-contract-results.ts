/**
 * Store contract, recording results: recordResults (the results of one broker message recorded
 * together), and the times a node measures, which carry fractions of a millisecond.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Opener } from './store.contract.ts';
import { boom, letter, lines, manifest, queued, result } from './store-fixtures.ts';

export function resultBurstCases({ open }: Opener): void {
  test('recordResults records each result of a burst as recordResult would', async (t) => {
    const { store } = await open(t);
    await store.createInvocation(queued('burst-a'), { callbackUrl: 'http://example.test/hook' });
    await store.createInvocation(queued('burst-b'));
    const retry = { action: 'retry', at: 9000 } as const;
    await store.recordResults([
      result('burst-a', { logs: lines('a1', 'a2') }),
      result('burst-b', { status: 'failed', error: boom, next: retry, logs: lines('b1') }),
      result('burst-c', { fn: 'other' }),
    ]);
    const a = await store.getInvocation('burst-a');
    assert.equal(a?.status, 'succeeded');
    assert.equal(a?.callback?.state, 'pending', 'a final result makes its callback due');
    assert.equal((await store.getInvocation('burst-b'))?.status, 'retrying');
    assert.equal((await store.getInvocation('burst-c'))?.status, 'succeeded');
    assert.equal((await store.listAttempts('burst-b')).length, 1);
    const logs = await store.listLogs('hello');
    assert.deepEqual(
      logs.map((l) => l.message),
      ['a1', 'a2', 'b1'],
    );
  });

  test('a burst recorded twice (a redelivered message) changes nothing', async (t) => {
    const { store } = await open(t);
    const burst = [result('twice-a', { logs: lines('x') }), result('twice-b')];
    await store.recordResults(burst);
    await store.recordResults(structuredClone(burst));
    assert.equal((await store.getInvocation('twice-a'))?.attempts, 1);
    assert.equal((await store.listAttempts('twice-a')).length, 1);
    assert.deepEqual(
      (await store.listLogs('hello')).map((l) => l.message),
      ['x'],
    );
    await store.recordResults([]);
  });

  test('a burst whose result cannot be recorded records none of it', async (t) => {
    const { store } = await open(t);
    // A BigInt has no JSON form: the second result fails after the first was written.
    const unrecordable = result('whole-b', { value: 10n });
    await assert.rejects(store.recordResults([result('whole-a'), unrecordable]));
    assert.equal(await store.getInvocation('whole-a'), undefined, 'rolled back with the burst');
    await store.recordResults([result('whole-a')]);
    assert.equal((await store.getInvocation('whole-a'))?.status, 'succeeded');
  });

  test('times with a fraction of a millisecond are recorded, to the millisecond at least', async (t) => {
    const { store } = await open(t);
    await store.createInvocation(queued('frac', 'hello', { queuedAt: 1000.4 }));
    const next = { action: 'retry', at: 9000.6 } as const;
    await store.recordResult(
      result('frac', { startedAt: 2000.4, endedAt: 2015.7, status: 'failed', error: boom, next }),
    );
    const record = await store.getInvocation('frac');
    assert.equal(record?.status, 'retrying');
    const times = [
      record?.queuedAt,
      record?.startedAt,
      record?.endedAt,
      record?.durationMs,
      record?.nextAttemptAt,
    ];
    assert.deepEqual(
      times.map((ms) => Math.round(ms ?? Number.NaN)),
      [1000, 2000, 2016, 15, 9001],
    );
  });

  test('a result records the version that ran it (a redrive runs the active version)', async (t) => {
    const { store } = await open(t);
    await store.createVersion(manifest('hello'), 'code');
    await store.createInvocation(queued('inv-v'));
    const dead = { status: 'failed', error: boom, next: { action: 'dead' } } as const;
    await store.recordResult(result('inv-v', { attempt: 3, ...dead }));
    await store.recordDeadLetter(letter('inv-v', 3));
    assert.equal(await store.markRedriven('hello', 'inv-v'), true);
    await store.recordResult(result('inv-v', { attempt: 4, version: 2 }));
    const record = await store.getInvocation('inv-v');
    assert.equal(record?.status, 'succeeded');
    assert.equal(record?.version, 2);
    // A stale result of the earlier version does not take it back.
    await store.recordResult(result('inv-v', { attempt: 3, version: 1 }));
    assert.equal((await store.getInvocation('inv-v'))?.version, 2);
  });
}
