/**
 * Tokens with `fn up` as a user runs it: the CLI manages tokens through the admin token of the
 * credentials file; deleting that token locks the CLI out until the next `fn up`, which writes
 * a new one, while the other tokens live on.
 */
import assert from 'node:assert/strict';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TokenCreateResponse, TokenListResponse } from '../../core/api.ts';
import type { FnServer } from '../e2e/support/fn-process.ts';
import { runFn, runFnJson, startFn } from '../e2e/support/fn-process.ts';

test('fn up: its admin token manages tokens, and a deleted one is replaced at the next start', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'fjord-token-up-'));
  let up: FnServer | undefined;
  t.after(async () => {
    await up?.stop('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });
  const env = { FN_HOME: dataDir };
  const start = () => startFn(['up', '--port', '0', '--data-dir', dataDir], { env });
  const adminToken = async () =>
    (JSON.parse(await readFile(join(dataDir, 'credentials.json'), 'utf8')) as { token: string })
      .token;

  up = await start();
  const ci = await runFnJson<TokenCreateResponse>(
    ['token', 'create', '--scope', 'deploy', '--label', 'ci'],
    { env },
  );
  const first = await adminToken();
  const firstId = first.slice(4, 20);
  const listed = await runFnJson<TokenListResponse>(['token', 'ls'], { env });
  assert.ok(listed.tokens.some((v) => v.id === firstId && v.scope === 'admin'));
  assert.ok(listed.tokens.some((v) => v.id === ci.record.id && v.label === 'ci'));

  const removed = await runFn(['token', 'rm', firstId], { env });
  assert.equal(removed.code, 0, removed.stderr);
  const lockedOut = await runFn(['token', 'ls'], { env });
  assert.equal(lockedOut.code, 1);
  assert.match(lockedOut.stderr, /UNAUTHORIZED/);
  assert.match(lockedOut.stderr, /fn up/);

  assert.equal(await up.stop(), 0);
  up = await start();
  const second = await adminToken();
  assert.notEqual(second, first, 'a new admin token was written');
  const after = await runFnJson<TokenListResponse>(['token', 'ls'], { env });
  assert.ok(!after.tokens.some((v) => v.id === firstId), 'the deleted one stays deleted');
  assert.ok(
    after.tokens.some((v) => v.id === ci.record.id),
    'the CI token lives on',
  );
  assert.ok(after.tokens.some((v) => v.id === second.slice(4, 20) && v.scope === 'admin'));
});
