/**
 * `fn token create|ls|rm` as real processes against a real gateway (in this process, SQLite in
 * memory): what each prints, that a created token works with its scope, and the errors.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TokenCreateResponse, TokenListResponse } from '../../core/api.ts';
import { startHarness, type Harness } from '../gateway/harness.ts';
import { runFn } from './run-fn.ts';

const TOKEN = /^fjd_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/;

function fnAs(h: Harness, token: string, ...args: string[]) {
  return runFn(...args, '--gateway', h.url, '--token', token);
}

test('fn token create prints the token once; ls lists it without it; rm deletes it', async (t) => {
  const h = await startHarness(t, { tokenCacheTtlMs: 60_000 });
  const admin = h.tokens.admin;
  const made = await fnAs(h, admin, 'token', 'create', '--scope', 'invoke', '--label', 'web app');
  assert.equal(made.code, 0, made.out);
  const token = made.stdout.trim();
  assert.match(token, TOKEN);
  const id = token.slice(4, 20);
  assert.match(made.stderr, new RegExp(`created invoke token ${id} "web app": store it now`));

  const ls = await fnAs(h, admin, 'token', 'ls');
  assert.equal(ls.code, 0, ls.out);
  assert.match(ls.stdout, /^ID +SCOPE +LABEL +CREATED$/m);
  assert.match(ls.stdout, new RegExp(`^${id} +invoke +web app +\\d{4}-`, 'm'));
  assert.ok(!ls.out.includes(token.slice(21)), 'the secret is not listed');

  const json = await fnAs(h, admin, 'token', 'ls', '--json');
  const { tokens } = JSON.parse(json.stdout) as TokenListResponse;
  assert.deepEqual(
    tokens.find((v) => v.id === id),
    { id, scope: 'invoke', label: 'web app', createdAt: tokens.at(-1)?.createdAt },
  );

  // The new token works with its scope: it reads functions, and may not manage tokens.
  assert.equal((await fnAs(h, token, 'ls')).code, 0);
  const refused = await fnAs(h, token, 'token', 'ls');
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /FORBIDDEN/);

  const rm = await fnAs(h, admin, 'token', 'rm', id);
  assert.equal(rm.code, 0, rm.out);
  assert.equal(rm.stdout, `deleted token ${id}\n`);
  const gone = await fnAs(h, token, 'ls');
  assert.equal(gone.code, 1, 'the deleted token is refused at once');
  assert.match(gone.stderr, /UNAUTHORIZED/);

  const again = await fnAs(h, admin, 'token', 'rm', id);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /TOKEN_NOT_FOUND/);
  assert.match(again.stderr, /fn token ls/);
});

test('fn token create --json, rm of a whole token, and bad input', async (t) => {
  const h = await startHarness(t);
  const admin = h.tokens.admin;
  const made = await fnAs(h, admin, 'token', 'create', '--scope', 'deploy', '--json');
  assert.equal(made.code, 0, made.out);
  const created = JSON.parse(made.stdout) as TokenCreateResponse;
  assert.match(created.token, TOKEN);
  assert.equal(created.record.scope, 'deploy');
  assert.equal(created.record.label, '');

  const rm = await fnAs(h, admin, 'token', 'rm', created.token, '--json');
  assert.equal(rm.code, 0, rm.out);
  assert.deepEqual(JSON.parse(rm.stdout), { deleted: created.record.id });

  const noScope = await fnAs(h, admin, 'token', 'create');
  assert.equal(noScope.code, 2);
  assert.match(noScope.stderr, /missing --scope/);
  assert.match(noScope.stderr, /fn token create --help/);

  const badScope = await fnAs(h, admin, 'token', 'create', '--scope', 'root');
  assert.equal(badScope.code, 2, 'a usage mistake');
  assert.match(
    badScope.stderr,
    /^error: --scope must be admin, deploy, invoke or node, got "root" \(INVALID_TOKEN_SCOPE\)$/m,
  );
  assert.match(badScope.stderr, /^hint: `fn token create --help` shows its usage$/m);

  for (const label of ['', ' padded', 'x'.repeat(65), 'bell\u0007']) {
    const badLabel = await fnAs(h, admin, 'token', 'create', '--scope', 'invoke', '--label', label);
    assert.equal(badLabel.code, 2, `label ${JSON.stringify(label)}`);
    assert.match(
      badLabel.stderr,
      /^error: --label must be 1 to 64 printable .*\(INVALID_TOKEN_LABEL\)$/m,
    );
  }
  const longest = 'é'.repeat(64);
  const fits = await fnAs(h, admin, 'token', 'create', '--scope', 'invoke', '--label', longest);
  assert.equal(fits.code, 0, `64 characters, not bytes: ${fits.out}`);
  assert.equal((await fnAs(h, admin, 'token', 'rm', fits.stdout.trim())).code, 0);

  const byDeploy = await fnAs(h, h.tokens.deploy, 'token', 'create', '--scope', 'admin');
  assert.equal(byDeploy.code, 1);
  assert.match(byDeploy.stderr, /FORBIDDEN/);

  const help = await runFn('token', 'rm', '--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: fn token rm ID/);
  const unknown = await runFn('token', 'revoke');
  assert.equal(unknown.code, 2);
  assert.equal((await h.store.listTokens()).length, 4, 'only the harness tokens are left');
});
