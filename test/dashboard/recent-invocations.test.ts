/** The recent-invocations list: out-of-order updates and its bound. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../core/logger.ts';
import { mergeInvocation } from '../../gateway/dashboard/merge-invocation.ts';
import { RecentInvocations } from '../../gateway/dashboard/recent-invocations.ts';
import type { InvocationSummary } from '../../gateway/dashboard/wire.ts';
import { EventHub } from '../../gateway/events.ts';

const base: InvocationSummary = { id: 'a', fn: 'f', status: 'queued', attempts: 0, at: 1 };

test('a late progress report never turns a finished invocation back', () => {
  const done = mergeInvocation(base, { ...base, status: 'succeeded', attempts: 1, at: 3 });
  assert.equal(done.status, 'succeeded');
  const late = mergeInvocation(done, { ...base, status: 'running', attempts: 1, at: 2 });
  assert.equal(late, done);
});

test('an older state never replaces a newer one; a later attempt does', () => {
  const running = mergeInvocation(base, { ...base, status: 'running', attempts: 1, at: 2 });
  assert.equal(mergeInvocation(running, base), running);
  const retrying = mergeInvocation(running, { ...base, status: 'retrying', attempts: 1, at: 3 });
  assert.equal(retrying.status, 'retrying');
  assert.equal(mergeInvocation(retrying, running).status, 'retrying');
  const second = mergeInvocation(retrying, { ...base, status: 'running', attempts: 2, at: 9 });
  assert.deepEqual([second.status, second.attempts], ['running', 2]);
});

test('a dead invocation stays dead when its last result arrives, until a redrive', () => {
  const dead = mergeInvocation(base, { ...base, status: 'dead', attempts: 3, at: 5 });
  const result = mergeInvocation(dead, {
    ...base,
    status: 'failed',
    attempts: 3,
    at: 4,
    durationMs: 12,
  });
  assert.equal(result.status, 'dead');
  assert.equal(result.durationMs, 12);
  assert.equal(mergeInvocation(result, { ...base, status: 'queued', at: 6 }).status, 'queued');
});

test("a redriven attempt's reports reopen a dead invocation even when they overtake the redrive", () => {
  const dead = mergeInvocation(base, { ...base, status: 'dead', attempts: 3, at: 5 });
  const running = mergeInvocation(dead, { ...base, status: 'running', attempts: 4, at: 7 });
  assert.deepEqual([running.status, running.attempts], ['running', 4]);
  const done = mergeInvocation(running, { ...base, status: 'succeeded', attempts: 4, at: 8 });
  const redriven = mergeInvocation(done, { ...base, status: 'queued', attempts: 3, at: 6 });
  assert.deepEqual([redriven.status, redriven.attempts], ['succeeded', 4]);
});

test('a cancelled invocation stays cancelled whatever arrives after', () => {
  const cancelled = mergeInvocation(base, { ...base, status: 'cancelled', attempts: 1, at: 5 });
  for (const status of ['running', 'succeeded', 'failed', 'dead'] as const) {
    assert.equal(mergeInvocation(cancelled, { ...base, status, attempts: 2, at: 6 }), cancelled);
  }
});

test('the list is newest first, merged by id, and bounded', () => {
  const hub = new EventHub(createLogger({ level: 'silent' }));
  const recent = new RecentInvocations(hub, 2);
  for (const id of ['a', 'b', 'c']) {
    hub.publish({ type: 'invocation', data: { ...base, id } });
  }
  hub.publish({ type: 'invocation', data: { ...base, id: 'b', status: 'running', attempts: 1 } });
  assert.deepEqual(
    recent.list().map((i) => [i.id, i.status]),
    [
      ['c', 'queued'],
      ['b', 'running'],
    ],
  );
  recent.close();
  assert.equal(hub.subscribers, 0);
});
