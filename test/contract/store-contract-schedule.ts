/** Store contract: claims of schedule ticks, the lock that fires each tick once. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Opener } from './store.contract.ts';
import { manifest } from './store-fixtures.ts';

/** A tick in the past of every clock the cases use. */
export const TICK = Date.UTC(2026, 0, 1, 10, 0, 0);

export function scheduleCases({ open }: Opener): void {
  test('a tick is claimed once across two stores on the same database', async (t) => {
    const { store: first, location } = await open(t);
    const { store: second } = await open(t, location);
    const claim = { fn: 'cron-a', scheduledAt: TICK, now: TICK + 5 };
    assert.equal(await first.claimScheduledRun({ ...claim, invocationId: 'inv-1' }), true);
    assert.equal(await second.claimScheduledRun({ ...claim, invocationId: 'inv-2' }), false);
    assert.equal(await first.claimScheduledRun({ ...claim, invocationId: 'inv-3' }), false);
    // The next tick, and the same tick of another function, are claims of their own.
    assert.equal(
      await second.claimScheduledRun({ ...claim, scheduledAt: TICK + 60_000, invocationId: 'i4' }),
      true,
    );
    assert.equal(
      await second.claimScheduledRun({ ...claim, fn: 'cron-b', invocationId: 'i5' }),
      true,
    );
  });

  test('a released claim can be claimed again; only its own invocation releases it', async (t) => {
    const { store } = await open(t);
    const claim = { fn: 'cron-r', scheduledAt: TICK, now: TICK };
    assert.equal(await store.claimScheduledRun({ ...claim, invocationId: 'inv-1' }), true);
    await store.releaseScheduledRun('cron-r', TICK, 'someone-else');
    assert.equal(await store.claimScheduledRun({ ...claim, invocationId: 'inv-2' }), false);
    await store.releaseScheduledRun('cron-r', TICK, 'inv-1');
    assert.equal(await store.claimScheduledRun({ ...claim, invocationId: 'inv-2' }), true);
  });

  test('claims older than the retention are pruned, recent ones are kept', async (t) => {
    const { store } = await open(t);
    const hour = 60 * 60 * 1000;
    const old = { fn: 'cron-p', scheduledAt: TICK, invocationId: 'old', now: TICK };
    assert.equal(await store.claimScheduledRun(old), true);
    assert.equal(
      await store.claimScheduledRun({ ...old, scheduledAt: TICK + 1000, invocationId: 'recent' }),
      true,
    );
    // A claim two hours later prunes the first (and keeps the store small without a sweeper).
    const later = TICK + 2 * hour;
    await store.claimScheduledRun({ ...old, scheduledAt: later, invocationId: 'new', now: later });
    assert.equal(
      await store.claimScheduledRun({ ...old, invocationId: 'again', now: later }),
      true,
    );
    assert.equal(
      await store.claimScheduledRun({ ...old, scheduledAt: later, invocationId: 'x', now: later }),
      false,
    );
  });

  test('deleting a function removes its claims', async (t) => {
    const { store } = await open(t);
    await store.createVersion(manifest('cron-d'), 'var __fjord_module = {};');
    const claim = { fn: 'cron-d', scheduledAt: TICK, invocationId: 'inv-1', now: TICK };
    assert.equal(await store.claimScheduledRun(claim), true);
    assert.equal(await store.deleteFunction('cron-d'), true);
    assert.equal(await store.claimScheduledRun({ ...claim, invocationId: 'inv-2' }), true);
  });
}
