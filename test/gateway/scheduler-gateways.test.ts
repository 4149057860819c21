import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SqliteStore } from '../../adapters/store-sqlite/index.ts';
import type { FunctionView } from '../../core/api.ts';
import { silentLogger } from '../../core/logger.ts';
import type { InvocationMessage } from '../../core/messages.ts';
import { createGateway } from '../../gateway/gateway.ts';
import { FakeBroker } from '../support/fake-broker.ts';
import { waitFor } from '../support/inbox.ts';
import { manifest, tempDb } from '../contract/store-fixtures.ts';
import { BUNDLE, errorOf, startHarness } from './harness.ts';

const scheduledTime = (message: InvocationMessage): number => {
  assert.equal(message.payload.kind, 'event');
  return (message.payload.data as { scheduledTime: number }).scheduledTime;
};

test('two gateways on one SQLite store enqueue one invocation per tick', async (t) => {
  const path = await tempDb(t);
  const gateways = await Promise.all(
    ['a', 'b'].map(async () => {
      const store = new SqliteStore({ path });
      await store.init();
      const broker = new FakeBroker();
      const gateway = createGateway({ store, broker, logger: silentLogger() });
      t.after(async () => {
        await gateway.stop();
        await store.close();
      });
      return { store, broker, gateway };
    }),
  );
  const [first] = gateways;
  assert.ok(first !== undefined);
  const triggers = { http: { public: true }, schedule: { cron: '* * * * * *' } };
  await first.store.createVersion(manifest('tick-pair', { triggers }), BUNDLE);
  await Promise.all(gateways.map((g) => g.gateway.start()));

  const all = (): InvocationMessage[] => gateways.flatMap((g) => g.broker.enqueued);
  await waitFor(() => new Set(all().map(scheduledTime)).size >= 3, {
    what: 'three ticks enqueued',
  });
  await Promise.all(gateways.map((g) => g.gateway.stop()));
  const ticks = all().map(scheduledTime);
  assert.equal(new Set(ticks).size, ticks.length, `a tick was enqueued twice: ${ticks.join()}`);
  for (const message of all()) {
    assert.equal(message.mode, 'async');
    assert.equal(message.fn.name, 'tick-pair');
    assert.equal(scheduledTime(message) % 1000, 0);
    const record = await first.store.getInvocation(message.id);
    assert.equal(record?.status, 'queued');
    assert.equal(record?.trigger, 'event');
  }
});

test('deploy rejects a bad schedule, naming the field', async (t) => {
  const h = await startHarness(t);
  const cases: [Record<string, unknown>, string][] = [
    [{ cron: '61 * * * *' }, 'triggers.schedule.cron'],
    [{ cron: 'every day' }, 'triggers.schedule.cron'],
    [{ cron: '0 9 * * *', timezone: 'Mars/Olympus' }, 'triggers.schedule.timezone'],
    [{ timezone: 'UTC' }, 'triggers.schedule.cron'],
    [{ cron: '* * * * *', every: 5 }, 'triggers.schedule.every'],
  ];
  for (const [schedule, field] of cases) {
    const response = await h.deploy('bad-cron', { name: 'bad-cron', triggers: { schedule } });
    assert.equal(response.status, 400, JSON.stringify(schedule));
    const error = await errorOf(response);
    assert.equal(error.code, 'INVALID_MANIFEST');
    assert.match(error.message, new RegExp(field.replaceAll('.', '\\.')), error.message);
  }
  assert.equal((await h.request('/v1/functions/bad-cron', { token: 'invoke' })).status, 404);
});

test('a scheduled function shows its next run; others show none', async (t) => {
  const h = await startHarness(t);
  const schedule = { cron: '0 9 * * *', timezone: 'Europe/Oslo' };
  assert.equal((await h.deploy('daily', { name: 'daily', triggers: { schedule } })).status, 201);
  assert.equal((await h.deploy('plain')).status, 201);
  const response = await h.request('/v1/functions', { token: 'invoke' });
  const { functions } = (await response.json()) as { functions: FunctionView[] };
  const daily = functions.find((f) => f.name === 'daily');
  const plain = functions.find((f) => f.name === 'plain');
  assert.ok(daily?.nextRun !== undefined && plain !== undefined);
  assert.equal(plain.nextRun, undefined);
  const next = new Date(daily.nextRun);
  assert.ok(next.getTime() > Date.now());
  const oslo = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/Oslo',
    hour: '2-digit',
    minute: '2-digit',
  }).format(next);
  assert.equal(oslo, '09:00');
  assert.deepEqual(daily.manifest.triggers.schedule, schedule);
});
