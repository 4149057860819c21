/** `fn secret` against a stand-in gateway: what it sends, what it prints, how it reads values. */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { Io } from '../../cli/command.ts';
import { FUNCTION_COMMANDS } from '../../cli/commands/index.ts';
import { readSecretValue } from '../../cli/commands/secret-prompt.ts';
import { runCli } from '../../cli/main.ts';
import { memoryIo } from '../cli/memory-io.ts';
import { startStandInGateway, type StandInGateway } from '../cli/stand-in-gateway.ts';

let stand: StandInGateway;

before(async () => {
  stand = await startStandInGateway({
    status: 404,
    body: { error: { code: 'SECRET_NOT_FOUND', message: 'function app has no secret NOPE' } },
  });
});
after(() => stand.close());

async function fn(args: string[], stdin?: string) {
  const io = memoryIo({
    cwd: '/',
    env: { FN_GATEWAY: stand.url, FN_TOKEN: 'secret' },
    ...(stdin === undefined ? {} : { stdin }),
  });
  const code = await runCli(args, { commands: FUNCTION_COMMANDS, version: 'test' }, io);
  return { code, stdout: io.out(), stderr: io.err() };
}

describe('fn secret', () => {
  test('set sends the piped value (one trailing newline dropped) in the body', async () => {
    const view = { key: 'API_KEY', updatedAt: '2026-11-23T10:00:00.000Z' };
    stand.replies.set('PUT /v1/functions/app/secrets/API_KEY', { status: 200, body: view });
    const set = await fn(['secret', 'set', 'app', 'API_KEY'], 's3cr3t value\n');
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout, 'set secret API_KEY of app\n');
    const request = stand.seen.at(-1);
    assert.equal(request?.method, 'PUT');
    assert.deepEqual(JSON.parse(request?.body ?? ''), { value: 's3cr3t value' });
    const json = await fn(['secret', 'set', 'app', 'API_KEY', '--json'], 'two\n\n');
    assert.deepEqual(JSON.parse(json.stdout), view);
    assert.deepEqual(JSON.parse(stand.seen.at(-1)?.body ?? ''), { value: 'two\n' });
  });

  test('ls prints keys and times only; rm removes, and an unknown key says so', async () => {
    const list = { secrets: [{ key: 'API_KEY', updatedAt: '2026-11-23T10:00:00.000Z' }] };
    stand.replies.set('GET /v1/functions/app/secrets', { status: 200, body: list });
    const ls = await fn(['secret', 'ls', 'app']);
    assert.equal(ls.code, 0, ls.stderr);
    assert.equal(ls.stdout, 'KEY      UPDATED\nAPI_KEY  2026-11-23T10:00:00.000Z\n');
    stand.replies.set('DELETE /v1/functions/app/secrets/API_KEY', { status: 204 });
    const rm = await fn(['secret', 'rm', 'app', 'API_KEY']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(rm.stdout, 'removed secret API_KEY of app\n');
    const missing = await fn(['secret', 'rm', 'app', 'NOPE']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no secret NOPE \(SECRET_NOT_FOUND\)/);
  });

  test('usage: a value on the command line is refused, an unknown subcommand too', async () => {
    const extra = await fn(['secret', 'set', 'app', 'API_KEY', 'the-value'], '');
    assert.equal(extra.code, 2);
    const unknown = await fn(['secret', 'show', 'app']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /use set, ls or rm/);
  });

  test('from a terminal the value is typed without echo (raw mode), backspace works', async () => {
    const stdin = Object.assign(new PassThrough(), {
      isTTY: true,
      modes: [] as boolean[],
      setRawMode(raw: boolean) {
        this.modes.push(raw);
      },
    });
    const stderr = new PassThrough();
    let prompt = '';
    stderr.on('data', (chunk: Buffer) => (prompt += chunk.toString()));
    const io = { ...memoryIo({ cwd: '/' }), stdin, stderr } as Io;
    const reading = readSecretValue(io, 'API_KEY');
    stdin.write('hunterX\u007f2\r');
    assert.equal(await reading, 'hunter2');
    assert.deepEqual(stdin.modes, [true, false]);
    assert.equal(prompt, 'Value of API_KEY (not shown): \n');
  });
});
