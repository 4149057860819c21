/**
 * The data dir lock in one process: takeovers of a stale lock that race each other leave one
 * holder, and a lock written on another host (a container sharing the data dir's volume) is
 * never taken over, whatever its pid.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CliError } from '../../cli/errors.ts';
import { LOCK_FILE, lockDataDir, type InstanceLock } from '../../cli/instance-lock.ts';

const dir = mkdtempSync(join(tmpdir(), 'fjord-instance-lock-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A real pid that is certainly dead: a child that already exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  assert.ok(child.pid !== undefined);
  return child.pid;
}

function holderOf(dataDir: string): { id: string; host?: string } {
  return JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8')) as { id: string };
}

test('two takeovers of one stale lock at once leave one holder', async () => {
  const dataDir = join(dir, 'race');
  const stale = { pid: await deadPid(), command: 'up', id: 'stale', host: hostname() };
  lockDataDir(dataDir, 'up', dir).release();
  writeFileSync(join(dataDir, LOCK_FILE), JSON.stringify(stale));

  // The second takeover runs in the first one's window between reading the stale lock and
  // removing it: without a guard both would succeed, each removing the other's lock.
  let inner: InstanceLock | CliError | undefined;
  const outer = lockDataDir(dataDir, 'up', dir, {
    beforeTakeover: () => {
      try {
        inner = lockDataDir(dataDir, 'up', dir);
      } catch (error) {
        inner = error as CliError;
      }
    },
  });
  assert.ok(inner instanceof CliError, 'the takeover that came second is refused');
  assert.equal(inner.code, 'DATA_DIR_IN_USE');
  assert.match(inner.message, new RegExp(`fn up \\(pid ${process.pid}\\) is starting`));
  assert.equal(existsSync(join(dataDir, `${LOCK_FILE}.takeover`)), false, 'the guard is gone');
  assert.notEqual(holderOf(dataDir).id, stale.id);
  outer.release();
  assert.equal(existsSync(join(dataDir, LOCK_FILE)), false);
});

test('a guard left by a process that died mid-takeover does not block the next one', async () => {
  const dataDir = join(dir, 'stale-guard');
  const pid = await deadPid();
  lockDataDir(dataDir, 'up', dir).release();
  writeFileSync(join(dataDir, LOCK_FILE), JSON.stringify({ pid, command: 'up', id: 'a' }));
  writeFileSync(
    join(dataDir, `${LOCK_FILE}.takeover`),
    JSON.stringify({ pid, command: 'up', id: 'b' }),
  );
  const lock = lockDataDir(dataDir, 'up', dir);
  assert.equal(holderOf(dataDir).host, hostname());
  assert.equal(existsSync(join(dataDir, `${LOCK_FILE}.takeover`)), false);
  lock.release();
});

test('a lock written on another host is refused even with this process pid', () => {
  const dataDir = join(dir, 'other-host');
  lockDataDir(dataDir, 'up', dir).release();
  const foreign = {
    pid: process.pid,
    command: 'up',
    id: 'there',
    host: 'container-a',
    url: 'http://x:1',
  };
  writeFileSync(join(dataDir, LOCK_FILE), JSON.stringify(foreign));
  assert.throws(
    () => lockDataDir(dataDir, 'up', dir, { hostname: 'container-b' }),
    (error: CliError) => {
      assert.equal(error.code, 'DATA_DIR_IN_USE');
      assert.equal(
        error.message,
        `data dir other-host is in use: fn up (pid ${process.pid}) on host container-a serves at http://x:1 from it`,
      );
      assert.match(
        error.hint ?? '',
        /never taken over: once that instance is gone, delete other-host\/instance\.lock by hand/,
      );
      return true;
    },
  );
  assert.equal(holderOf(dataDir).id, 'there', 'the lock is left alone');
  // The same lock on its own host is this process's pid from an earlier life: taken over.
  lockDataDir(dataDir, 'up', dir, { hostname: 'container-a' }).release();
});
