/**
 * `fn up` as a user runs it: a real process on a free port with a fresh data dir, driven by the
 * CLI through the credentials it wrote, then stopped with SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/fn.ts', import.meta.url));

interface Ready {
  event: string;
  url: string;
  credentials: string;
  node: string;
  examples: string[];
}

let dataDir: string;
let up: ChildProcess;
let ready: Ready;

function fn(args: string[]): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, FN_HOME: dataDir, FN_GATEWAY: '', FN_TOKEN: '' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  return once(child, 'close').then(([code]) => ({ code: code as number | null, stdout }));
}

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'fjord-up-'));
  up = spawn(process.execPath, [BIN, 'up', '--port', '0', '--data-dir', dataDir, '--json'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const lines = createInterface({ input: up.stdout! });
  const [first] = (await Promise.race([
    once(lines, 'line'),
    once(up, 'exit').then(() => assert.fail('fn up exited before it was ready')),
  ])) as [string];
  ready = JSON.parse(first) as Ready;
});

after(async () => {
  if (up.exitCode === null) up.kill('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

describe('fn up', () => {
  it('announces itself in one JSON line, with the examples deployed', () => {
    assert.equal(ready.event, 'ready');
    assert.match(ready.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(ready.credentials, join(dataDir, 'credentials.json'));
    assert.deepEqual(ready.examples, ['hello', 'greet-event']);
  });

  it('serves the examples to the CLI, which finds it through the credentials', async () => {
    const hello = await fetch(`${ready.url}/fn/hello`);
    assert.equal(await hello.text(), 'hello world from fjord\n');
    const invoked = await fn(['invoke', 'greet-event', '--data', '{"name":"Ada"}', '--json']);
    assert.equal(invoked.code, 0);
    assert.deepEqual((JSON.parse(invoked.stdout) as { result: unknown }).result, {
      greeting: 'hello Ada',
    });
  });

  it('stops gracefully on SIGTERM with exit code 0', async () => {
    up.kill('SIGTERM');
    const [code] = (await once(up, 'exit')) as [number | null];
    assert.equal(code, 0);
  });
});
