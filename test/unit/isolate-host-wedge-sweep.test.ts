/**
 * The watchdog of a host process's invocations (runtime/isolate-host/wedge-sweep.ts): one
 * periodic check finds an invocation left unanswered past its due time and reports it; once the
 * process's death settled them, a later invocation starts the checks again.
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
  pending.invocation(ignore, Date.now() + 60_000, 'inv-answering');
  pending.invocation(ignore, Date.now() - 1, 'inv-silent');
  sweep.start();
  assert.equal(await wedged.next(), 'inv-silent');
  // The report stopped the checks; the process's death settles the rest, and a later
  // invocation starts them again.
  assert.equal(pending.overdue(Date.now()), 'inv-silent');
  pending.failAll(new FjordError('ISOLATE_HOST_CRASHED', 'killed'));
  assert.equal(pending.invocations, 0);
  pending.invocation(ignore, Date.now() - 1, 'inv-next');
  sweep.start();
  assert.equal(await wedged.next(), 'inv-next');
  sweep.stop();
});

test('answered invocations are no longer due; an answered control request counts for nothing', () => {
  const pending = new PendingReplies();
  const outcomes: ExecutionOutcome[] = [];
  const id = pending.invocation((outcome) => outcomes.push(outcome), Date.now() - 1, 'inv-1');
  const control = pending.control(() => {});
  assert.equal(pending.invocations, 1);
  assert.equal(pending.overdue(Date.now()), 'inv-1');
  pending.answer(id, { ok: true, value: 1, coldStart: false, durationMs: 1, logs: [] });
  pending.answer(control);
  assert.equal(pending.invocations, 0);
  assert.equal(pending.overdue(Date.now()), undefined);
  assert.equal(outcomes.length, 1);
});
