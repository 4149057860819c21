/** POST/GET/DELETE /v1/tokens: admins manage scoped tokens; a deleted one is refused at once. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TokenCreateResponse, TokenListResponse } from '../../core/api.ts';
import { errorOf, invoke, startHarness, type Harness } from './harness.ts';

function create(h: Harness, body: unknown, token = 'admin'): Promise<Response> {
  return h.request('/v1/tokens', {
    method: 'POST',
    token,
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function created(h: Harness, body: unknown): Promise<TokenCreateResponse> {
  const response = await create(h, body);
  assert.equal(response.status, 201, await response.clone().text());
  return (await response.json()) as TokenCreateResponse;
}

async function list(h: Harness): Promise<TokenListResponse> {
  const response = await h.request('/v1/tokens', { token: 'admin' });
  assert.equal(response.status, 200);
  return (await response.json()) as TokenListResponse;
}

test('tokens: create answers the plaintext once; the list shows records, never a secret', async (t) => {
  const h = await startHarness(t);
  const response = await create(h, { scope: 'deploy', label: 'ci' });
  assert.equal(response.status, 201);
  assert.equal(response.headers.get('cache-control'), 'no-store');
  const { token, record } = (await response.json()) as TokenCreateResponse;
  assert.match(token, /^fjd_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
  assert.equal(record.id, token.slice(4, 20));
  assert.equal(record.scope, 'deploy');
  assert.equal(record.label, 'ci');
  assert.ok(!Number.isNaN(Date.parse(record.createdAt)));

  const unlabelled = await created(h, { scope: 'invoke' });
  assert.equal(unlabelled.record.label, '');

  const { tokens } = await list(h);
  // Oldest first; tokens made in the same millisecond come in id order, so compare as sets.
  assert.deepEqual(tokens.map((v) => `${v.scope}:${v.label}`).sort(), [
    'admin:test admin',
    'deploy:ci',
    'deploy:test deploy',
    'invoke:',
    'invoke:test invoke',
    'node:test node',
  ]);
  assert.deepEqual(
    tokens.find((v) => v.id === record.id),
    record,
  );
  const listed = JSON.stringify(tokens);
  for (const secret of [token, unlabelled.token, ...Object.values(h.tokens)]) {
    assert.ok(!listed.includes(secret.slice(21)), 'no secret in the list');
  }
  assert.deepEqual(Object.keys(tokens[0] ?? {}).sort(), ['createdAt', 'id', 'label', 'scope']);
  const logs = h.logLines.join('');
  assert.match(logs, /token created/);
  assert.ok(!logs.includes(token.slice(21)), 'the plaintext is not logged');
  assert.ok(!logs.includes(unlabelled.token.slice(21)), 'the plaintext is not logged');
});

test('tokens: only admin tokens manage tokens; admins may create admin tokens', async (t) => {
  const h = await startHarness(t);
  for (const scope of ['deploy', 'invoke', 'node']) {
    const refused = await create(h, { scope: 'invoke' }, scope);
    assert.equal(refused.status, 403, scope);
    assert.equal((await errorOf(refused)).code, 'FORBIDDEN');
    const listing = await h.request('/v1/tokens', { token: scope });
    assert.equal(listing.status, 403, scope);
    const deleting = await h.request('/v1/tokens/0000000000000000', {
      method: 'DELETE',
      token: scope,
    });
    assert.equal(deleting.status, 403, scope);
  }
  const anonymous = await h.request('/v1/tokens');
  assert.equal(anonymous.status, 401);

  const admin = await created(h, { scope: 'admin', label: 'second admin' });
  const byNewAdmin = await create(h, { scope: 'node', label: 'node-7' }, admin.token);
  assert.equal(byNewAdmin.status, 201);
});

test('tokens: a created invoke token invokes but does not deploy; a deploy token deploys', async (t) => {
  const h = await startHarness(t);
  assert.equal((await h.deploy('tok-fn')).status, 201);
  const invoker = await created(h, { scope: 'invoke', label: 'web app' });
  const accepted = await h.request('/v1/functions/tok-fn/invocations', {
    method: 'POST',
    token: invoker.token,
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  assert.equal(accepted.status, 202);
  const deploying = await h.request('/v1/functions/tok-fn', {
    method: 'PUT',
    token: invoker.token,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ manifest: { name: 'tok-fn' }, bundle: 'x' }),
  });
  assert.equal(deploying.status, 403);
  assert.equal((await errorOf(deploying)).code, 'FORBIDDEN');

  const deployer = await created(h, { scope: 'deploy', label: 'ci' });
  const rollback = await h.request('/v1/functions/tok-fn', {
    method: 'DELETE',
    token: deployer.token,
  });
  assert.equal(rollback.status, 204);
  assert.equal((await invoke(h, 'tok-fn', '{}')).status, 404);
});

test('tokens: bad scope, label or body are 400 with specific codes', async (t) => {
  const h = await startHarness(t);
  const cases: Array<[unknown, string]> = [
    [{ scope: 'root' }, 'INVALID_TOKEN_SCOPE'],
    [{ label: 'no scope' }, 'INVALID_TOKEN_SCOPE'],
    [{ scope: 7 }, 'INVALID_TOKEN_SCOPE'],
    [{ scope: 'deploy', label: '' }, 'INVALID_TOKEN_LABEL'],
    [{ scope: 'deploy', label: 'x'.repeat(65) }, 'INVALID_TOKEN_LABEL'],
    [{ scope: 'deploy', label: 'tab\there' }, 'INVALID_TOKEN_LABEL'],
    [{ scope: 'deploy', label: ' padded' }, 'INVALID_TOKEN_LABEL'],
    [{ scope: 'deploy', label: 42 }, 'INVALID_TOKEN_LABEL'],
    [{ scope: 'deploy', extra: true }, 'BAD_REQUEST'],
    [['deploy'], 'BAD_REQUEST'],
    ['', 'BAD_REQUEST'],
    ['{"scope": "deploy"', 'INVALID_JSON'],
  ];
  for (const [body, code] of cases) {
    const response = await create(h, body);
    assert.equal(response.status, 400, JSON.stringify(body));
    const error = await errorOf(response);
    assert.equal(error.code, code, JSON.stringify(body));
    if (code === 'INVALID_TOKEN_SCOPE') {
      assert.match(error.message, /"admin", "deploy", "invoke", "node"/);
    }
  }
  assert.equal((await create(h, { scope: 'invoke', label: 'x'.repeat(64) })).status, 201);
  assert.equal((await create(h, { scope: 'invoke', label: 'Ünïcode app · v2' })).status, 201);
  assert.equal((await list(h)).tokens.length, 6, 'nothing was created by a refused request');
});

test('tokens: a deleted token is refused at once by this gateway, cache on', async (t) => {
  const h = await startHarness(t, { tokenCacheTtlMs: 60_000 });
  const { token, record } = await created(h, { scope: 'invoke', label: 'short-lived' });
  // Verified and cached by this request.
  assert.equal((await h.request('/v1/functions', { token })).status, 200);
  assert.equal((await h.request('/v1/functions', { token })).status, 200);

  const deleted = await h.request(`/v1/tokens/${record.id}`, { method: 'DELETE', token: 'admin' });
  assert.equal(deleted.status, 204);
  const refused = await h.request('/v1/functions', { token });
  assert.equal(refused.status, 401);
  assert.equal((await errorOf(refused)).code, 'UNAUTHORIZED');
  assert.ok(!(await list(h)).tokens.some((v) => v.id === record.id));

  const again = await h.request(`/v1/tokens/${record.id}`, { method: 'DELETE', token: 'admin' });
  assert.equal(again.status, 404);
  const error = await errorOf(again);
  assert.equal(error.code, 'TOKEN_NOT_FOUND');
  assert.match(error.message, /fn token ls/);
  const junk = await h.request('/v1/tokens/not-an-id', { method: 'DELETE', token: 'admin' });
  assert.equal((await errorOf(junk)).code, 'TOKEN_NOT_FOUND');
});

test('tokens: an admin may delete the token it authenticates with', async (t) => {
  const h = await startHarness(t, { tokenCacheTtlMs: 60_000 });
  const { token, record } = await created(h, { scope: 'admin', label: 'self' });
  assert.equal((await h.request('/v1/tokens', { token })).status, 200);
  const deleted = await h.request(`/v1/tokens/${record.id}`, { method: 'DELETE', token });
  assert.equal(deleted.status, 204);
  assert.equal((await h.request('/v1/tokens', { token })).status, 401);
  assert.equal((await h.request('/v1/tokens', { token: 'admin' })).status, 200);
});

test('tokens: deleting a token ends the dashboard sessions opened with it', async (t) => {
  const h = await startHarness(t);
  const { token, record } = await created(h, { scope: 'invoke', label: 'dashboard' });
  const login = await h.request('/v1/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  assert.equal(login.status, 201);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const other = await h.request('/v1/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: h.tokens.invoke }),
  });
  const otherCookie = (other.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  assert.equal((await h.request('/v1/functions', { headers: { cookie } })).status, 200);

  const deleted = await h.request(`/v1/tokens/${record.id}`, { method: 'DELETE', token: 'admin' });
  assert.equal(deleted.status, 204);
  assert.equal((await h.request('/v1/functions', { headers: { cookie } })).status, 401);
  const kept = await h.request('/v1/functions', { headers: { cookie: otherCookie } });
  assert.equal(kept.status, 200, 'a session of another token lives on');
});

test('tokens: a deletion is announced to the other gateways; a broker down does not fail it', async (t) => {
  const h = await startHarness(t);
  const first = await created(h, { scope: 'invoke' });
  const deleted = await h.request(`/v1/tokens/${first.record.id}`, {
    method: 'DELETE',
    token: 'admin',
  });
  assert.equal(deleted.status, 204);
  assert.deepEqual(
    h.broker.announced.filter((event) => event.type === 'token-deleted'),
    [{ type: 'token-deleted', id: first.record.id }],
  );

  // The store row is gone either way: the deletion stands, only the notice is lost (other
  // gateways then stop believing the token when their cache entry expires).
  const second = await created(h, { scope: 'invoke' });
  h.broker.setState('down');
  const unannounced = await h.request(`/v1/tokens/${second.record.id}`, {
    method: 'DELETE',
    token: 'admin',
  });
  assert.equal(unannounced.status, 204);
  assert.equal((await h.request('/v1/functions', { token: second.token })).status, 401);
  assert.ok(
    h.logLines.some((line) => line.includes('token deletion not announced to gateways')),
    'the lost notice is logged',
  );
});
