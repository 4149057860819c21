/**
 * An async invocation accepted with 202 is never lost: kill -9 `fn up` (gateway, node and the
 * embedded broker in one process) while invocations run, start it again on the same data, and
 * every accepted invocation reaches a final state; the ones cut short show a second attempt.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { waitFor } from '../support/inbox.ts';
import { Api, readCredentials } from './support/api.ts';
import { startFn, type FnServer } from './support/fn-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'fjord-crash-'));
const dataDir = join(dir, '.fn');
const servers: FnServer[] = [];
after(async () => {
  for (const s of servers) await s.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

test('kill -9 of fn up loses no accepted invocation', async () => {
  const first = await startFn(['up', '--port', '0', '--data-dir', dataDir, '--no-examples'], {
    cwd: dir,
  });
  servers.push(first);
  const api = new Api(readCredentials(first.ready.credentials ?? ''));
  await api.deployFixture('sleepy', 'sleep', { concurrency: 2, timeoutMs: 10_000 });

  const ids: string[] = [];
  // Long enough that the one seen running cannot finish between the poll and the kill.
  for (let i = 0; i < 10; i++) ids.push(await api.invokeAsync('sleepy', { ms: 1500 }));
  const running = await waitFor(
    async () => {
      for (const id of ids) if ((await api.invocation(id)).status === 'running') return id;
      return undefined;
    },
    { what: 'an invocation to be running', intervalMs: 5 },
  );
  assert.equal(await first.stop('SIGKILL'), null, 'killed by the signal');

  const second = await startFn(['up', '--port', '0', '--data-dir', dataDir, '--no-examples'], {
    cwd: dir,
  });
  servers.push(second);
  const again = new Api(readCredentials(second.ready.credentials ?? ''));
  const views = [];
  for (const id of ids) views.push(await again.settled(id, 60_000));
  assert.deepEqual(
    views.map((v) => v.status),
    ids.map(() => 'succeeded'),
  );
  const cut = views.find((v) => v.id === running);
  assert.ok(
    cut && cut.attempts >= 2,
    `the invocation running at the kill ran again (attempts ${cut?.attempts})`,
  );
  assert.equal(await second.stop(), 0);
});

test('SIGTERM drains: an invocation running then finishes and is recorded, then fn up exits 0', async () => {
  const drainDir = join(dir, 'drain');
  const server = await startFn(['up', '--port', '0', '--data-dir', drainDir, '--no-examples'], {
    cwd: dir,
  });
  servers.push(server);
  const api = new Api(readCredentials(server.ready.credentials ?? ''));
  await api.deployFixture('sleepy', 'sleep', { timeoutMs: 10_000 });
  const id = await api.invokeAsync('sleepy', { ms: 1000 });
  await waitFor(async () => (await api.invocation(id)).status === 'running', {
    what: 'running',
    intervalMs: 5,
  });
  assert.equal(await server.stop('SIGTERM'), 0);

  // Read the record from a fresh process on the same data: the result was made durable before exit.
  const again = await startFn(['up', '--port', '0', '--data-dir', drainDir, '--no-examples'], {
    cwd: dir,
  });
  servers.push(again);
  const view = await new Api(readCredentials(again.ready.credentials ?? '')).settled(id);
  assert.equal(view.status, 'succeeded', JSON.stringify(view));
  assert.equal(view.attempts, 1, 'drained, not cut short: it ran once');
});
