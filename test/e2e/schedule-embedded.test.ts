/**
 * `fn up` as a real process with schedules firing every second: a Workers module's scheduled()
 * handler and a plain event handler both run on each tick, once per tick, and `fn ls` shows the
 * next run.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FunctionListResponse, LogListResponse } from '../../core/api.ts';
import type { LogRecord } from '../../core/store.ts';
import { waitFor } from '../support/inbox.ts';
import { Api, readCredentials } from './support/api.ts';
import { runFn, startFn, type FnServer } from './support/fn-process.ts';

const EVERY_SECOND = '* * * * * *';

describe('scheduled functions on fn up', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fjord-e2e-schedule-'));
  let server: FnServer;
  let api: Api;

  before(async () => {
    server = await startFn(['up', '--port', '0', '--data-dir', join(dir, '.fn')], { cwd: dir });
    assert.ok(server.ready.credentials);
    api = new Api(readCredentials(server.ready.credentials));
  });

  after(async () => {
    const code = await server?.stop();
    rmSync(dir, { recursive: true, force: true });
    assert.equal(code, 0, 'fn up exits 0 on SIGTERM');
  });

  const logsOf = async (name: string): Promise<LogRecord[]> =>
    (await api.json<LogListResponse>(`/v1/functions/${name}/logs?limit=1000`)).body.logs;

  test("a Workers module's scheduled() runs once per tick", async () => {
    const schedule = { cron: EVERY_SECOND, timezone: 'Europe/Oslo' };
    await api.deployFixture('tick-module', 'scheduled-module', {
      env: { LABEL: 'from-env' },
      triggers: { schedule },
    });
    const logs = await waitFor(
      async () => {
        const lines = await logsOf('tick-module');
        return lines.length >= 3 && lines;
      },
      { timeoutMs: 20_000, what: 'three ticks logged' },
    );
    const ticks = logs.map((line) => {
      const match = /^tick scheduled (\d+) (.+) from-env$/.exec(line.message);
      assert.ok(match, `unexpected log line: ${line.message}`);
      assert.equal(match[2], EVERY_SECOND);
      return Number(match[1]);
    });
    assert.equal(new Set(ticks).size, ticks.length, `a tick ran twice: ${ticks.join()}`);
    for (const tick of ticks) assert.equal(tick % 1000, 0);
    // Each tick is an async event invocation with a record of its own.
    const first = await api.settled(logs[0]?.invocationId ?? '');
    assert.equal(first.status, 'succeeded');
    assert.equal(first.mode, 'async');
    assert.equal(first.trigger, 'event');
  });

  test('a plain event handler gets the tick as its event', async () => {
    await api.deployFixture('tick-event', 'scheduled-event', {
      triggers: { schedule: { cron: EVERY_SECOND } },
    });
    const [line] = await waitFor(
      async () => {
        const lines = await logsOf('tick-event');
        return lines.length >= 1 && lines;
      },
      { timeoutMs: 20_000, what: 'a tick logged' },
    );
    assert.ok(line !== undefined);
    const record = await api.settled(line.invocationId);
    assert.equal(record.status, 'succeeded');
    const event = record.result as { type: string; scheduledTime: number; cron: string };
    assert.equal(event.type, 'scheduled');
    assert.equal(event.cron, EVERY_SECOND);
    assert.equal(typeof event.scheduledTime, 'number');
  });

  test('fn ls and the API show the next run', async () => {
    await api.deployFixture('tick-daily', 'scheduled-event', {
      triggers: { schedule: { cron: '30 6 * * *', timezone: 'UTC' } },
    });
    const { body } = await api.json<FunctionListResponse>('/v1/functions');
    const daily = body.functions.find((f) => f.name === 'tick-daily');
    assert.match(daily?.nextRun ?? '', /^\d{4}-\d\d-\d\dT06:30:00\.000Z$/);
    const unscheduled = body.functions.filter((f) => f.manifest.triggers.schedule === undefined);
    assert.ok(unscheduled.length > 0, 'fn up deploys its unscheduled examples');
    for (const f of unscheduled) assert.equal(f.nextRun, undefined, f.name);
    const ls = await runFn(['ls'], { cwd: dir });
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /NEXT RUN/);
    const row = ls.stdout.split('\n').find((l) => l.startsWith('tick-daily '));
    assert.match(row ?? '', /T06:30:00\.000Z/);
  });
});
