/**
 * One `fn up` per data dir: a second one on the same folder is refused before it touches
 * anything (credentials.json keeps pointing at the first), the folder is free again once the
 * first stopped, and a lock left by a killed process is taken over.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { LOCK_FILE } from '../../cli/instance-lock.ts';
import { runFn, startFn, type FnServer } from '../e2e/support/fn-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'fjord-up-lock-'));
const servers: FnServer[] = [];
after(async () => {
  for (const server of servers) await server.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const upArgs = (dataDir: string): string[] => [
  'up',
  '--port',
  '0',
  '--data-dir',
  dataDir,
  '--no-examples',
];

test('a second fn up on the same data dir is refused and leaves credentials.json alone', async () => {
  const dataDir = join(dir, 'shared');
  const first = await startFn(upArgs(dataDir), { cwd: dir });
  servers.push(first);
  const credentials = readFileSync(join(dataDir, 'credentials.json'), 'utf8');

  const second = await runFn([...upArgs(dataDir), '--json'], { cwd: dir });
  assert.equal(second.code, 1, second.stderr);
  assert.match(
    second.stderr,
    new RegExp(
      `error: data dir shared is in use: fn up \\(pid ${first.child.pid}\\) serves at ${first.ready.url} from it \\(DATA_DIR_IN_USE\\)`,
    ),
  );
  assert.match(
    second.stderr,
    /hint: stop it first .*kill \d+\), or give this fn up its own --data-dir/,
  );
  assert.equal(
    (JSON.parse(second.stdout) as { error: { code: string } }).error.code,
    'DATA_DIR_IN_USE',
  );
  assert.equal(readFileSync(join(dataDir, 'credentials.json'), 'utf8'), credentials);
  const listed = await runFn(['ls', '--data-dir', dataDir], { cwd: dir });
  assert.equal(listed.code, 0, `the CLI still reaches the first one: ${listed.stderr}`);

  assert.equal(await first.stop(), 0);
  assert.equal(existsSync(join(dataDir, LOCK_FILE)), false, 'the lock went with it');
  const next = await startFn(upArgs(dataDir), { cwd: dir });
  servers.push(next);
  assert.notEqual(next.ready.url, undefined);
  assert.equal(await next.stop(), 0);
});

test('a lock left by a process that is gone is taken over', async () => {
  const dataDir = join(dir, 'stale');
  // A real pid that is certainly dead: a child that already exited.
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  const lock = { pid: child.pid, command: 'up', url: 'http://127.0.0.1:1', id: 'gone' };
  const first = await startFn(upArgs(dataDir), { cwd: dir });
  servers.push(first);
  assert.equal(await first.stop('SIGKILL'), null, 'killed, so its lock stays behind');
  assert.equal(existsSync(join(dataDir, LOCK_FILE)), true);

  const taken = await startFn(upArgs(dataDir), { cwd: dir });
  servers.push(taken);
  assert.equal(await taken.stop(), 0);

  writeFileSync(join(dataDir, LOCK_FILE), JSON.stringify(lock));
  const again = await startFn(upArgs(dataDir), { cwd: dir });
  servers.push(again);
  const held = JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8')) as typeof lock;
  assert.equal(held.pid, again.child.pid);
  assert.equal(held.url, again.ready.url);
  assert.equal(await again.stop(), 0);

  // The pid of a live process that is not the one that wrote the lock (a reused pid, as PID 1
  // of a restarted container): its start time differs from the one recorded.
  const reused = { pid: process.pid, command: 'up', id: 'reused', started: '1' };
  writeFileSync(join(dataDir, LOCK_FILE), JSON.stringify(reused));
  const last = await startFn(upArgs(dataDir), { cwd: dir });
  servers.push(last);
  assert.equal(await last.stop(), 0);
});

test('a busy port fails before anything is logged or written', async () => {
  const holder = await startFn(upArgs(join(dir, 'holder')), { cwd: dir });
  servers.push(holder);
  const port = new URL(holder.ready.url ?? '').port;
  const dataDir = join(dir, 'busy-port');
  const second = await runFn(['up', '--port', port, '--data-dir', dataDir, '--no-examples'], {
    cwd: dir,
  });
  assert.equal(second.code, 1);
  assert.equal(
    second.stderr.split('\n')[0],
    `error: port ${port} on 127.0.0.1 is already in use (EADDRINUSE)`,
  );
  assert.equal(existsSync(join(dataDir, 'credentials.json')), false);
  assert.equal(existsSync(join(dataDir, LOCK_FILE)), false, 'the lock is released');
  assert.equal(await holder.stop(), 0);
});
