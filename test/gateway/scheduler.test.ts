import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { SqliteStore } from '../../adapters/store-sqlite/index.ts';
import { FjordError } from '../../core/errors.ts';
import type { Manifest } from '../../core/manifest.ts';
import { manifest, tempDb } from '../contract/store-fixtures.ts';
import { advance, ManualClock, schedulerOn, type Fired } from './scheduler-support.ts';

const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);
const BUNDLE = 'var __fjord_module = (() => ({ default: () => 1 }))();';

/** Deploys a version of `name` with the schedule at the clock's current time. */
async function deploy(
  t: TestContext,
  path: string,
  clock: ManualClock,
  name: string,
  schedule: Manifest['triggers']['schedule'],
): Promise<void> {
  const store = new SqliteStore({ path, now: clock.now });
  await store.init();
  t.after(() => store.close());
  const triggers = { http: { public: true }, ...(schedule === undefined ? {} : { schedule }) };
  await store.createVersion(manifest(name, { triggers }), BUNDLE);
}

const times = (fired: Fired[]): string[] =>
  fired.map((f) => new Date((f.data as { scheduledTime: number }).scheduledTime).toISOString());

test('each tick becomes one async invocation carrying the scheduled event', async (t) => {
  const path = await tempDb(t);
  const clock = new ManualClock(T0 + 500);
  const fired: Fired[] = [];
  await deploy(t, path, clock, 'every-5s', { cron: '*/5 * * * * *' });
  const gw = await schedulerOn(t, { path, clock, fired });
  await gw.scheduler.start();
  // 10:00:00 came before the deploy at 10:00:00.500: nothing to fire yet.
  assert.equal(fired.length, 0);
  await advance(clock, [gw], T0 + 12_000);
  assert.deepEqual(times(fired), ['2026-01-01T10:00:05.000Z', '2026-01-01T10:00:10.000Z']);
  assert.deepEqual(fired[0]?.data, {
    type: 'scheduled',
    scheduledTime: T0 + 5000,
    cron: '*/5 * * * * *',
  });
  assert.equal(fired[0]?.fn, 'every-5s');
  assert.equal(fired[0]?.version, 1);
  // It sleeps until the next tick, never longer than the refresh interval.
  assert.ok(gw.timer.wakeAt !== undefined && gw.timer.wakeAt <= T0 + 13_000);
});

test('two gateways on one store fire each tick exactly once', async (t) => {
  const path = await tempDb(t);
  const clock = new ManualClock(T0 + 100);
  const fired: Fired[] = [];
  await deploy(t, path, clock, 'every-second', { cron: '* * * * * *' });
  const a = await schedulerOn(t, { path, clock, fired, name: 'a' });
  const b = await schedulerOn(t, { path, clock, fired, name: 'b' });
  await Promise.all([a.scheduler.start(), b.scheduler.start()]);
  await advance(clock, [a, b], T0 + 20_500);
  const expected = Array.from({ length: 20 }, (_, i) =>
    new Date(T0 + (i + 1) * 1000).toISOString(),
  );
  assert.deepEqual(times(fired).sort(), expected);
  // b was looking all along (only the claims held it back): with a gone, it fires every tick.
  await a.scheduler.stop();
  const before = fired.length;
  await advance(clock, [a, b], T0 + 23_500);
  assert.deepEqual(
    fired.slice(before).map((f) => f.by),
    ['b', 'b', 'b'],
  );
  assert.equal(new Set(times(fired)).size, fired.length);
});

test('after downtime only the most recent missed tick is fired, once', async (t) => {
  const path = await tempDb(t);
  const clock = new ManualClock(T0 + 100);
  const fired: Fired[] = [];
  await deploy(t, path, clock, 'every-5s-down', { cron: '*/5 * * * * *' });
  const before = await schedulerOn(t, { path, clock, fired, name: 'before' });
  await before.scheduler.start();
  await advance(clock, [before], T0 + 6000);
  await before.scheduler.stop();
  assert.deepEqual(times(fired), ['2026-01-01T10:00:05.000Z']);

  // Down through 10:00:10, :15, :20 and :25; back at :27.
  clock.at = T0 + 27_000;
  const after = await schedulerOn(t, { path, clock, fired, name: 'after' });
  await after.scheduler.start();
  assert.deepEqual(times(fired).slice(1), ['2026-01-01T10:00:25.000Z']);
  // Another gateway starting now finds that tick claimed and fires nothing.
  const third = await schedulerOn(t, { path, clock, fired, name: 'third' });
  await third.scheduler.start();
  assert.equal(fired.length, 2);
  await advance(clock, [after, third], T0 + 30_000);
  assert.deepEqual(times(fired).slice(2), ['2026-01-01T10:00:30.000Z']);
});

test('a tick whose enqueue failed is tried again before the next tick', async (t) => {
  const path = await tempDb(t);
  const clock = new ManualClock(T0 - 1000);
  const fired: Fired[] = [];
  await deploy(t, path, clock, 'every-minute', { cron: '* * * * *' });
  clock.at = T0 + 200;
  let failures = 1;
  const gw = await schedulerOn(t, {
    path,
    clock,
    fired,
    accept: async (request, { id }) => {
      if (failures-- > 0) throw new FjordError('BROKER_UNAVAILABLE', 'broker down');
      fired.push({ id, fn: request.fn.spec.name, version: 1, data: undefined, by: 'gw' });
    },
  });
  await gw.scheduler.start();
  assert.equal(fired.length, 0);
  await advance(clock, [gw], T0 + 1300);
  assert.equal(fired.length, 1);
  await advance(clock, [gw], T0 + 59_000);
  assert.equal(fired.length, 1);
});

test('a redeploy counts ticks from the new version; a deleted function stops firing', async (t) => {
  const path = await tempDb(t);
  const clock = new ManualClock(T0 + 100);
  const fired: Fired[] = [];
  await deploy(t, path, clock, 'changing', { cron: '*/10 * * * * *' });
  const gw = await schedulerOn(t, { path, clock, fired });
  await gw.scheduler.start();
  await advance(clock, [gw], T0 + 10_500);
  await deploy(t, path, clock, 'changing', { cron: '*/2 * * * * *' });
  await advance(clock, [gw], T0 + 14_500);
  assert.deepEqual(
    fired.map((f) => [f.version, (f.data as { cron: string }).cron]),
    [
      [1, '*/10 * * * * *'],
      [2, '*/2 * * * * *'],
      [2, '*/2 * * * * *'],
    ],
  );
  const store = new SqliteStore({ path, now: clock.now });
  await store.init();
  t.after(() => store.close());
  await store.deleteFunction('changing');
  await advance(clock, [gw], T0 + 30_000);
  assert.equal(fired.length, 3);
});

test('a schedule reads its time zone', async (t) => {
  const path = await tempDb(t);
  // 07:59:30 UTC is 08:59:30 in Oslo in winter: the 09:00 Oslo tick is 08:00 UTC.
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 7, 59, 30));
  const fired: Fired[] = [];
  await deploy(t, path, clock, 'oslo', { cron: '0 9 * * *', timezone: 'Europe/Oslo' });
  const gw = await schedulerOn(t, { path, clock, fired });
  await gw.scheduler.start();
  await advance(clock, [gw], Date.UTC(2026, 0, 1, 8, 0, 30));
  assert.deepEqual(times(fired), ['2026-01-01T08:00:00.000Z']);
});
