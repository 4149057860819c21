import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runFn as fn } from './run-fn.ts';

/** A port nothing listens on: bound once by us, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

describe('bin/fn.ts', () => {
  it('--help lists every command and exits 0', async () => {
    const { code, stdout } = await fn('--help');
    assert.equal(code, 0);
    assert.match(stdout, /^Usage: fn COMMAND/m);
    for (const name of ['up', 'gateway', 'node', 'init', 'deploy', 'invoke', 'ls', 'rm', 'logs']) {
      assert.match(stdout, new RegExp(`^  ${name} +\\S`, 'm'), name);
    }
    for (const name of ['versions', 'rollback', 'status'])
      assert.match(stdout, new RegExp(`  ${name} `));
  });

  it('deploy --help and help deploy print its usage and exit 0', async () => {
    for (const args of [
      ['deploy', '--help'],
      ['help', 'deploy'],
    ]) {
      const { code, stdout } = await fn(...args);
      assert.equal(code, 0);
      assert.match(stdout, /^Usage: fn deploy \[DIR\] \[options\]/);
      assert.match(stdout, /--no-typecheck/);
      assert.match(stdout, /--gateway URL/);
    }
  });

  it('an unknown command or flag is a usage error: exit 2', async () => {
    const unknown = await fn('deplyo');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^error: unknown command "deplyo": did you mean `fn deploy`\?/);
    const flag = await fn('ls', '--colour');
    assert.equal(flag.code, 2);
    assert.equal(
      flag.stderr.split('\n')[0],
      'error: unknown option --colour for fn ls (UNKNOWN_OPTION)',
    );
    assert.match(flag.stderr, /^hint: `fn ls --help` shows its usage$/m);
    const near = await fn('deploy', '--frobnicate', '--no-typechek', '--json');
    assert.equal(near.code, 2);
    assert.match(
      near.stderr,
      /^error: unknown option --frobnicate for fn deploy \(UNKNOWN_OPTION\)$/m,
    );
    assert.equal(
      (JSON.parse(near.stdout) as { error: { code: string } }).error.code,
      'UNKNOWN_OPTION',
    );
    const guessed = await fn('deploy', '--no-typechek');
    assert.match(
      guessed.stderr,
      /^error: unknown option --no-typechek for fn deploy: did you mean --no-typecheck\?/,
    );
    const value = await fn('invoke', 'hello', '--data');
    assert.equal(value.code, 2);
    assert.match(
      value.stderr,
      /^error: --data needs a value: --data JSON \(INVALID_OPTION_VALUE\)$/m,
    );
    const extra = await fn('ls', '--json=yes');
    assert.equal(extra.code, 2);
    assert.match(extra.stderr, /^error: --json takes no value \(INVALID_OPTION_VALUE\)$/m);
    // An option with a short alias: parseArgs quotes it as '-f, --follow'.
    const aliased = await fn('logs', 'hello', '--follow=1');
    assert.equal(aliased.code, 2);
    assert.match(aliased.stderr, /^error: --follow takes no value \(INVALID_OPTION_VALUE\)$/m);
    const missing = await fn('invoke');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^error: missing NAME/);
  });

  it('fn deploy of a folder that is not there says so, and what to give it', async () => {
    for (const [dir, what] of [
      ['nosuchdir', 'does not exist'],
      [fileURLToPath(import.meta.url), 'is not a directory'],
    ] as const) {
      const { code, stderr } = await fn(
        'deploy',
        dir,
        '--gateway',
        'http://127.0.0.1:1',
        '--token',
        't',
      );
      assert.equal(code, 1);
      assert.match(stderr, new RegExp(`^error: .*${what} \\(FUNCTION_DIR_NOT_FOUND\\)$`, 'm'));
      assert.match(stderr, /^hint: give the folder of a function, the one with its fn\.json/m);
    }
  });

  it('a client command against a closed port says to start the gateway: exit 1', async () => {
    const gateway = `http://127.0.0.1:${await closedPort()}`;
    const { code, stdout, stderr } = await fn('ls', '--gateway', gateway, '--token', 't');
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.match(
      stderr,
      new RegExp(`^error: cannot reach the gateway at ${gateway}: ECONNREFUSED`),
    );
    assert.match(stderr, /^hint: is the gateway running\? start it with `fn up`/m);
  });

  it('--json errors are one JSON document on stdout', async () => {
    const gateway = `http://127.0.0.1:${await closedPort()}`;
    const { code, stdout } = await fn('versions', 'hello', '--gateway', gateway, '--json');
    assert.equal(code, 1);
    const { error } = JSON.parse(stdout) as { error: { code: string; hint: string } };
    assert.equal(error.code, 'GATEWAY_UNREACHABLE');
    assert.match(error.hint, /is the gateway running/);
  });

  it('fn gateway without --broker is a usage error', async () => {
    const { code, stderr } = await fn('gateway', '--port', '0');
    assert.equal(code, 2);
    assert.match(stderr, /missing --broker/);
  });
});
