/**
 * Store contract, delivery guarantees: retry statuses and attempt history, dead letters and
 * redrive, cancellation, idempotency keys and callbacks.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Opener } from './store.contract.ts';
import { boom, letter, manifest, queued, result } from './store-fixtures.ts';

export function deliveryCases({ open, subject }: Opener): void {
  test('a failed attempt with a retry due is retrying, then the next attempt decides', async (t) => {
    const { store } = await open(t);
    await store.createInvocation(queued('inv-1'));
    const next = { action: 'retry', at: 5000 } as const;
    await store.recordResult(result('inv-1', { status: 'failed', error: boom, next }));
    const retrying = await store.getInvocation('inv-1');
    assert.equal(retrying?.status, 'retrying');
    assert.equal(retrying?.nextAttemptAt, 5000);

    await store.markStarted('inv-1', 'node-b', 2, 5100);
    const running = await store.getInvocation('inv-1');
    assert.equal(running?.status, 'running');
    assert.equal(running?.nextAttemptAt, undefined);

    await store.recordResult(result('inv-1', { attempt: 2, node: 'node-b', startedAt: 5100 }));
    const done = await store.getInvocation('inv-1');
    assert.equal(done?.status, 'succeeded');
    assert.equal(done?.attempts, 2);
    assert.deepEqual(await store.listAttempts('inv-1'), [
      { attempt: 1, status: 'failed', node: 'node-a', startedAt: 2000, endedAt: 2015, error: boom },
      { attempt: 2, status: 'succeeded', node: 'node-b', startedAt: 5100, endedAt: 2015 },
    ]);
  });

  test('a first attempt that succeeded is the whole history; nothing ran, none', async (t) => {
    const { store } = await open(t);
    await store.createInvocation(queued('inv-ok'));
    assert.deepEqual(await store.listAttempts('inv-ok'), []);
    await store.recordResult(result('inv-ok'));
    assert.deepEqual(await store.listAttempts('inv-ok'), [
      { attempt: 1, status: 'succeeded', node: 'node-a', startedAt: 2000, endedAt: 2015 },
    ]);
  });

  test('a non-retryable failure is failed; a last one is dead, whichever of result and letter comes first', async (t) => {
    const { store } = await open(t);
    await store.createVersion(manifest('hello'), 'code');
    await store.recordResult(result('inv-f', { status: 'failed', error: boom }));
    assert.equal((await store.getInvocation('inv-f'))?.status, 'failed');

    for (const [id, letterFirst] of [
      ['inv-a', false],
      ['inv-b', true],
    ] as const) {
      await store.createInvocation(queued(id));
      const last = result(id, {
        attempt: 3,
        status: 'failed',
        error: boom,
        next: { action: 'dead' },
      });
      if (letterFirst) await store.recordDeadLetter(letter(id, 3));
      await store.recordResult(last);
      if (!letterFirst) {
        // `dead` means "in the dead-letter queue": the result alone does not make it so.
        const ended = await store.getInvocation(id);
        assert.equal(ended?.status, 'running', `${id}: not dead before its letter is recorded`);
        assert.deepEqual(ended?.error, boom, id);
        assert.equal(await store.countDeadLetters('hello'), 0, id);
        await store.recordDeadLetter(letter(id, 3));
      }
      await store.recordDeadLetter(letter(id, 3)); // a duplicate changes nothing
      const record = await store.getInvocation(id);
      assert.equal(record?.status, 'dead', id);
      assert.equal(record?.attempts, 3, id);
      assert.equal(record?.node, 'node-a', `${id}: the timings of the last attempt are kept`);
    }
    assert.equal(await store.countDeadLetters('hello'), 2);
    const listed = await store.listDeadLetters('hello');
    assert.deepEqual(
      listed.map((l) => [l.invocationId, l.attempt, l.error.code, l.node]),
      [
        ['inv-a', 3, 'FUNCTION_ERROR', 'node-a'],
        ['inv-b', 3, 'FUNCTION_ERROR', 'node-a'],
      ],
    );
    const shown = await store.getDeadLetter('hello', 'inv-b');
    assert.deepEqual(shown?.message.payload, { kind: 'event', data: { n: 1 } });
    assert.deepEqual(await store.listDeadLetters('hello', { afterSeq: listed[0]?.seq }), [
      listed[1],
    ]);
    assert.equal(await store.getDeadLetter('other', 'inv-b'), undefined);
  });

  test('a refused delivery is an attempt of the history, and no late result revives it', async (t) => {
    const { store } = await open(t);
    await store.createVersion(manifest('hello'), 'code');
    await store.createInvocation(queued('inv-p'));
    const poison = { code: 'DELIVERY_LIMIT_EXCEEDED', message: 'delivered 4 times' } as const;
    await store.recordDeadLetter(letter('inv-p', 4, { ran: false, error: poison, node: 'node-c' }));
    // The result of attempt 3 was on its way when attempt 4 was refused.
    const late = { status: 'failed', error: boom, next: { action: 'retry', at: 1 } } as const;
    await store.recordResult(result('inv-p', { attempt: 3, ...late }));
    const record = await store.getInvocation('inv-p');
    assert.equal(record?.status, 'dead');
    assert.deepEqual(record?.error, poison);
    assert.deepEqual(
      (await store.listAttempts('inv-p')).map((a) => [a.attempt, a.error?.code]),
      [
        [3, 'FUNCTION_ERROR'],
        [4, 'DELIVERY_LIMIT_EXCEEDED'],
      ],
    );
  });

  test('a redrive reopens the invocation; stale letters and results of the dead series are ignored', async (t) => {
    const { store } = await open(t);
    await store.createVersion(manifest('hello'), 'code');
    await store.createInvocation(queued('inv-r'));
    await store.recordDeadLetter(letter('inv-r', 3));
    assert.equal(await store.markRedriven('hello', 'inv-r'), true);
    assert.equal(await store.markRedriven('hello', 'inv-r'), false, 'taken once');
    assert.equal((await store.getInvocation('inv-r'))?.status, 'queued');
    assert.equal(await store.countDeadLetters('hello'), 0);

    await store.recordDeadLetter(letter('inv-r', 3)); // a duplicate of the redriven letter
    const dead = { status: 'failed', error: boom, next: { action: 'dead' } } as const;
    await store.recordResult(result('inv-r', { attempt: 3, ...dead })); // late
    assert.equal((await store.getInvocation('inv-r'))?.status, 'queued');
    assert.equal(await store.countDeadLetters('hello'), 0);

    await store.recordResult(result('inv-r', { attempt: 4, ...dead }));
    await store.recordDeadLetter(letter('inv-r', 4));
    assert.equal((await store.getInvocation('inv-r'))?.status, 'dead');
    assert.equal((await store.listDeadLetters('hello'))[0]?.attempt, 4);
  });

  test('letters of deleted functions and of cancelled invocations are dropped (a stray record still ends)', async (t) => {
    const { store } = await open(t);
    await store.recordDeadLetter(letter('inv-gone', 3));
    assert.equal(await store.getInvocation('inv-gone'), undefined);
    // The last result came after the function was deleted and left a record: it ends dead.
    const last = { attempt: 3, status: 'failed', error: boom, next: { action: 'dead' } } as const;
    await store.recordResult(result('inv-late', last));
    await store.recordDeadLetter(letter('inv-late', 3));
    assert.equal((await store.getInvocation('inv-late'))?.status, 'dead');
    await store.createVersion(manifest('hello'), 'code');
    await store.createInvocation(queued('inv-c'));
    await store.cancelInvocation('inv-c', 1500);
    await store.recordDeadLetter(letter('inv-c', 1, { ran: false }));
    assert.equal((await store.getInvocation('inv-c'))?.status, 'cancelled');
    assert.equal(await store.countDeadLetters('hello'), 0);
  });

  test('cancel: queued and retrying invocations only, and nothing moves them afterwards', async (t) => {
    const { store } = await open(t);
    await store.createInvocation(queued('inv-q'));
    const outcome = await store.cancelInvocation('inv-q', 1500);
    assert.equal(outcome?.cancelled, true);
    assert.equal(outcome?.record.status, 'cancelled');
    assert.equal(outcome?.record.endedAt, 1500);
    await store.markStarted('inv-q', 'node-a', 1, 2000);
    await store.recordResult(result('inv-q'));
    assert.equal((await store.getInvocation('inv-q'))?.status, 'cancelled');

    await store.createInvocation(queued('inv-t'));
    const retry = { status: 'failed', error: boom, next: { action: 'retry', at: 9 } } as const;
    await store.recordResult(result('inv-t', retry));
    assert.equal((await store.cancelInvocation('inv-t', 1600))?.cancelled, true);

    await store.createInvocation(queued('inv-run'));
    await store.markStarted('inv-run', 'node-a', 1, 2000);
    const refused = await store.cancelInvocation('inv-run', 1700);
    assert.equal(refused?.cancelled, false);
    assert.equal(refused?.record.status, 'running');
    assert.equal(await store.cancelInvocation('nope', 1), undefined);
  });

  test('purge empties a dead-letter queue; deleting the function removes all it left', async (t) => {
    const { store, location } = await open(t);
    await store.createVersion(manifest('hello'), 'code');
    for (const id of ['inv-1', 'inv-2']) {
      await store.createInvocation(queued(id), { callbackUrl: 'http://127.0.0.1:1/cb' });
      await store.recordDeadLetter(letter(id, 1, { ran: false }));
    }
    await store.claimIdempotencyKey({
      fn: 'hello',
      key: 'k',
      invocationId: 'inv-1',
      fingerprint: 'f',
      now: 1,
      expiresAt: 10_000,
    });
    assert.equal(await store.purgeDeadLetters('hello'), 2);
    assert.equal(await store.countDeadLetters('hello'), 0);
    assert.equal((await store.getInvocation('inv-1'))?.status, 'dead', 'purge keeps the records');
    await store.recordDeadLetter(letter('inv-3', 1, { ran: false }));
    assert.equal(await store.deleteFunction('hello'), true);
    for (const table of ['dead_letters', 'attempts', 'idempotency_keys', 'callbacks']) {
      assert.equal(await subject.count(location, table), 0, table);
    }
  });

  test('idempotency keys: the first claim wins until it expires; a release frees the key', async (t) => {
    const { store } = await open(t);
    const claim = { fn: 'hello', key: 'order-1', fingerprint: 'a', now: 100, expiresAt: 1100 };
    assert.equal(await store.claimIdempotencyKey({ ...claim, invocationId: 'inv-1' }), undefined);
    assert.deepEqual(await store.claimIdempotencyKey({ ...claim, invocationId: 'inv-2' }), {
      invocationId: 'inv-1',
      fingerprint: 'a',
    });
    const other = { ...claim, fn: 'other', invocationId: 'inv-3' };
    assert.equal(await store.claimIdempotencyKey(other), undefined, 'keys are per function');
    const later = { ...claim, invocationId: 'inv-4', now: 1100, expiresAt: 2100 };
    assert.equal(await store.claimIdempotencyKey(later), undefined, 'expired: a new claim');
    await store.releaseIdempotencyKey('hello', 'order-1', 'inv-4');
    const again = { ...claim, invocationId: 'inv-5', now: 1200, expiresAt: 2200 };
    assert.equal(await store.claimIdempotencyKey(again), undefined, 'released');
  });

  test('callbacks: due when the invocation ends, leased per try, retried, then delivered', async (t) => {
    let now = 1000;
    const { store } = await open(t, undefined, { now: () => now });
    const url = 'http://127.0.0.1:9/hook';
    await store.createInvocation(queued('inv-cb'), { callbackUrl: url });
    assert.deepEqual(await store.claimCallbacks(now, 10, now + 500), [], 'waits for the end');
    const retry = { status: 'failed', error: boom, next: { action: 'retry', at: 1 } } as const;
    await store.recordResult(result('inv-cb', retry));
    assert.deepEqual(await store.claimCallbacks(now, 10, now + 500), [], 'retrying is no end');
    await store.recordResult(result('inv-cb', { attempt: 2 }));
    assert.equal((await store.getInvocation('inv-cb'))?.callback?.state, 'pending');

    const task = { invocationId: 'inv-cb', url, attempts: 0 };
    assert.deepEqual(await store.claimCallbacks(now, 10, now + 500), [task]);
    assert.deepEqual(await store.claimCallbacks(now, 10, now + 500), [], 'leased');
    await store.recordCallbackAttempt('inv-cb', {
      at: now,
      delivered: false,
      status: 500,
      error: 'HTTP 500',
      nextAt: 2000,
    });
    assert.deepEqual(await store.claimCallbacks(1999, 10, 2500), [], 'not due yet');
    now = 2000;
    assert.deepEqual(await store.claimCallbacks(now, 10, 2500), [{ ...task, attempts: 1 }]);
    await store.recordCallbackAttempt('inv-cb', { at: 2010, delivered: true, status: 204 });
    assert.deepEqual((await store.getInvocation('inv-cb'))?.callback, {
      url,
      state: 'delivered',
      attempts: 2,
      lastStatus: 204,
      deliveredAt: 2010,
    });

    // A result that overtook the acceptance makes the callback due at once.
    await store.recordResult(result('inv-early'));
    await store.createInvocation(queued('inv-early'), { callbackUrl: url });
    assert.equal((await store.getInvocation('inv-early'))?.callback?.state, 'pending');
    // A lease that ran out (its gateway died) frees the callback for another try.
    assert.equal((await store.claimCallbacks(now, 10, now + 100)).length, 1);
    assert.equal((await store.claimCallbacks(now + 100, 10, now + 200)).length, 1);
    await store.recordCallbackAttempt('inv-early', { at: now, delivered: false, error: 'refused' });
    assert.equal((await store.getInvocation('inv-early'))?.callback?.state, 'failed');
  });

  test('a redrive starts the callback over; a cancel makes it due', async (t) => {
    const { store } = await open(t);
    await store.createVersion(manifest('hello'), 'code');
    const url = 'http://127.0.0.1:9/hook';
    await store.createInvocation(queued('inv-d'), { callbackUrl: url });
    await store.recordDeadLetter(letter('inv-d', 1, { ran: false }));
    const [task] = await store.claimCallbacks(Date.now(), 10, Date.now() + 1000);
    assert.equal(task?.invocationId, 'inv-d');
    await store.recordCallbackAttempt('inv-d', { at: 1, delivered: true, status: 200 });
    await store.markRedriven('hello', 'inv-d');
    assert.deepEqual((await store.getInvocation('inv-d'))?.callback, {
      url,
      state: 'waiting',
      attempts: 0,
    });
    await store.createInvocation(queued('inv-x'), { callbackUrl: url });
    await store.cancelInvocation('inv-x', 1);
    assert.equal((await store.getInvocation('inv-x'))?.callback?.state, 'pending');
  });
}
