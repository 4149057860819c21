/**
 * `fn up` runs isolates in child processes by default: kill -9 of those processes while an async
 * invocation runs costs that attempt (ISOLATE_HOST_CRASHED in its history), the retry succeeds on
 * a restarted process, `fn up` itself keeps serving and, on SIGTERM, exits 0 leaving no host
 * process behind. `--isolate-host inline` runs them in the fn up process instead.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { waitFor } from '../support/inbox.ts';
import { Api, readCredentials } from './support/api.ts';
import { runFn, startFn, type FnServer } from './support/fn-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'fjord-isolate-host-'));
const servers: FnServer[] = [];
after(async () => {
  for (const s of servers) await s.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Pids of the isolate host processes `pid` has forked. */
function hostProcesses(pid: number): number[] {
  const children: number[] = [];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const listed = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
    if (listed) children.push(...listed.split(/\s+/).map(Number));
  }
  return children.filter((child) => {
    try {
      return readFileSync(`/proc/${child}/cmdline`, 'utf8').includes('host-child.ts');
    } catch {
      return false; // Gone meanwhile.
    }
  });
}

async function up(name: string, extra: string[] = []): Promise<{ server: FnServer; api: Api }> {
  const dataDir = join(dir, name);
  const server = await startFn(
    ['up', '--port', '0', '--data-dir', dataDir, '--no-examples', ...extra],
    { cwd: dir },
  );
  servers.push(server);
  return { server, api: new Api(readCredentials(server.ready.credentials ?? '')) };
}

test('kill -9 of the isolate host processes mid-invocation: the attempt is retried and fn up lives on', async () => {
  const { server, api } = await up('process');
  const pid = server.child.pid;
  assert.ok(pid !== undefined);
  await api.deployFixture('sleepy', 'sleep', { timeoutMs: 10_000 });
  await api.deployFixture('hi', 'hello');

  // A first run makes the version's host process ready, so the next one is sent to it at once
  // (until then an invocation waits in fn up, not in flight on a process).
  const warm = await api.json<{ status: string }>('/v1/functions/sleepy/invocations?wait=true', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ms: 0 }),
  });
  assert.equal(warm.body.status, 'succeeded');

  const id = await api.invokeAsync('sleepy', { ms: 3000 });
  await waitFor(async () => (await api.invocation(id)).status === 'running', {
    what: 'the invocation to run',
    intervalMs: 5,
  });
  const hosts = hostProcesses(pid);
  assert.ok(hosts.length >= 1, 'isolates run in child processes');
  for (const host of hosts) process.kill(host, 'SIGKILL');

  const view = await api.settled(id, 60_000);
  assert.equal(view.status, 'succeeded');
  assert.equal(view.history?.[0]?.error?.code, 'ISOLATE_HOST_CRASHED', JSON.stringify(view));
  assert.ok(view.attempts >= 2, `retried (attempts ${view.attempts})`);

  const response = await api.fetch('/fn/hi/');
  assert.equal(response.status, 201);
  assert.equal(await response.text(), 'hello from fjord');
  const restarted = hostProcesses(pid);
  assert.ok(restarted.length >= 1 && restarted.every((p) => !hosts.includes(p)), 'new processes');

  assert.equal(await server.stop('SIGTERM'), 0);
  for (const host of restarted) assert.throws(() => process.kill(host, 0), /ESRCH/);
});

test('--isolate-host inline runs isolates in the fn up process', async () => {
  const { server, api } = await up('inline', ['--isolate-host', 'inline']);
  await api.deployFixture('hi', 'hello');
  const response = await api.fetch('/fn/hi/');
  assert.equal(response.status, 201);
  await response.text();
  assert.deepEqual(hostProcesses(server.child.pid ?? 0), []);
  assert.equal(await server.stop('SIGTERM'), 0);
});

test('--isolate-host with an unknown mode is a usage error naming both modes', async () => {
  const result = await runFn(['up', '--isolate-host', 'thread'], { cwd: dir });
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /--isolate-host must be "process" or "inline", got "thread"/);
});
