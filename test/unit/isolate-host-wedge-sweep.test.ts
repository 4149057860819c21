/**
 * The watchdog of a host process's invocations (runtime/isolate-host/wedge-sweep.ts): one
 * periodic check finds an invocation left unanswered past its due time and reports it; once the
 * process's death settled them, a later invocation starts the checks again. And what the pending
 * replies know of a run's lease: its due time moves to its run deadline, and a process's death
 * hands back the runs sent ahead that never started, once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ExecutionOutcome } from '../../core/executor.ts';
import { FjordError } from '../../core/errors.ts';
import { PendingReplies } from '../../runtime/isolate-host/pending-replies.ts';
import { WedgeSweep } from '../../runtime/isolate-host/wedge-sweep.ts';
import { Inbox } from '../support/inbox.ts';

const ignore = (_outcome: ExecutionOutcome): void => {};

test('an invocation unanswered past its due time is reported by its id, not one still due', async () => {
  const pending = new PendingReplies();
  const wedged = new Inbox<string>();
  const sweep = new WedgeSweep(pending, 40, (invocation) => wedged.push(invocation));
  pending.invocation(null, ignore, Date.now() + 60_000, 'inv-answering');
  pending.invocation(null, ignore, Date.now() - 1, 'inv-silent');
  sweep.start();
  assert.equal(await wedged.next(), 'inv-silent');
  // The report stopped the checks; the process's death settles the rest, and a later
  // invocation starts them again.
  assert.equal(pending.overdue(Date.now()), 'inv-silent');
  pending.failAll(new FjordError('ISOLATE_HOST_CRASHED', 'killed'));
  assert.equal(pending.invocations, 0);
  pending.invocation(null, ignore, Date.now() - 1, 'inv-next');
  sweep.start();
  assert.equal(await wedged.next(), 'inv-next');
  sweep.stop();
});

test('answered invocations are no longer due; an answered control request counts for nothing', () => {
  const pending = new PendingReplies();
  const outcomes: ExecutionOutcome[] = [];
  const id = pending.invocation(
    null,
    (outcome: ExecutionOutcome) => outcomes.push(outcome),
    Date.now() - 1,
    'inv-1',
  );
  const control = pending.control(() => {});
  assert.equal(pending.invocations, 1);
  assert.equal(pending.overdue(Date.now()), 'inv-1');
  pending.answer(id, { ok: true, value: 1, coldStart: false, durationMs: 1, logs: [] });
  pending.answer(control);
  assert.equal(pending.invocations, 0);
  assert.equal(pending.overdue(Date.now()), undefined);
  assert.equal(outcomes.length, 1);
});

test('a lease notice moves the due time to the run deadline: earlier than a latest end', () => {
  const pending = new PendingReplies();
  const now = Date.now();
  // Sent ahead: due at its latest end (four timeouts away), until the child says it started.
  const id = pending.invocation(null, ignore, now + 40_000, 'inv-ahead');
  assert.equal(pending.overdue(now + 20_000), undefined);
  pending.leased(id, now + 10_000);
  assert.equal(pending.overdue(now + 20_000), 'inv-ahead', 'one timeout after its lease');
  assert.equal(pending.overdue(now + 9_999), undefined);
  pending.leased(12345, now); // an answered or unknown id is ignored
});

test("a process's death hands back the runs sent ahead that never started; the others fail", () => {
  const pending = new PendingReplies<string>();
  const outcomes = new Map<string, ExecutionOutcome>();
  const register = (name: string, resendable: boolean): number =>
    pending.invocation(
      name,
      (outcome) => outcomes.set(name, outcome),
      Date.now() + 60_000,
      name,
      resendable,
    );
  const started = register('started', true);
  register('waiting', true);
  // Not sent ahead (it starts at once, its notice may be late), or sent once more already.
  register('sent-again', false);
  pending.leased(started, Date.now() + 1_000);
  const handedBack: string[] = [];
  pending.failAll(new FjordError('ISOLATE_HOST_CRASHED', 'killed'), (entry) => {
    handedBack.push(entry.request);
    entry.resolve({ ok: true, value: 'ran elsewhere', coldStart: false, durationMs: 1, logs: [] });
  });
  assert.deepEqual(handedBack, ['waiting']);
  assert.equal(outcomes.get('waiting')?.ok, true);
  for (const name of ['started', 'sent-again']) {
    const outcome = outcomes.get(name);
    assert.equal(outcome?.ok === false && outcome.error.code, 'ISOLATE_HOST_CRASHED', name);
  }
  assert.equal(pending.invocations, 0);
  // Without a taker, every invocation fails.
  register('alone', true);
  pending.failAll(new FjordError('NO_CAPACITY', 'shut down'));
  const alone = outcomes.get('alone');
  assert.equal(alone?.ok === false && alone.error.code, 'NO_CAPACITY');
});
