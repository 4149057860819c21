/** Dashboard login: a token traded for a session cookie that only reads. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SessionView } from '../../gateway/dashboard/wire.ts';
import { errorOf, startHarness, type Harness } from '../gateway/harness.ts';
import { openSse } from './sse-client.ts';

function login(h: Harness, body: unknown): Promise<Response> {
  return h.request('/v1/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** The `name=value` part of a Set-Cookie header, to send back as Cookie. */
function cookieOf(response: Response): string {
  const header = response.headers.get('set-cookie') ?? '';
  return header.split(';')[0] ?? '';
}

test('a wrong, missing or node token opens no session', async (t) => {
  const h = await startHarness(t);
  const wrong = await login(h, { token: 'not-a-token' });
  assert.equal(wrong.status, 401);
  assert.equal((await errorOf(wrong)).code, 'UNAUTHORIZED');
  assert.equal(wrong.headers.get('set-cookie'), null);
  const missing = await login(h, { nope: 1 });
  assert.equal(missing.status, 400);
  assert.equal((await errorOf(missing)).code, 'BAD_REQUEST');
  const node = await login(h, { token: h.tokens.node });
  assert.equal(node.status, 403);
  assert.equal((await errorOf(node)).code, 'FORBIDDEN');
  const anonymous = await h.request('/v1/session');
  assert.equal(anonymous.status, 401);
});

test('the session cookie is HttpOnly and SameSite=Strict, and never holds the token', async (t) => {
  const h = await startHarness(t);
  const response = await login(h, { token: h.tokens.deploy });
  assert.equal(response.status, 201);
  const body = (await response.json()) as SessionView;
  assert.equal(body.scope, 'deploy');
  assert.ok(!JSON.stringify(body).includes(h.tokens.deploy));
  const header = response.headers.get('set-cookie') ?? '';
  assert.match(header, /^fjord_session=[A-Za-z0-9_-]{43};/);
  assert.match(header, /; httponly/i);
  assert.match(header, /; samesite=strict/i);
  assert.match(header, /; path=\//);
  assert.ok(!header.includes(h.tokens.deploy));
  assert.ok(h.logLines.length > 0);
  assert.ok(
    h.logLines.every((line) => !line.includes(h.tokens.deploy)),
    'token in a log',
  );

  const who = await h.request('/v1/session', { headers: { cookie: cookieOf(response) } });
  assert.equal(who.status, 200);
  const view = (await who.json()) as SessionView;
  assert.equal(view.scope, 'deploy');
  assert.ok(view.expiresAt !== undefined && Date.parse(view.expiresAt) > Date.now());
});

test('the cookie reads (overview, events) but never changes anything', async (t) => {
  const h = await startHarness(t);
  await h.deploy('session-fn', { name: 'session-fn', triggers: { http: { public: false } } });
  const cookie = cookieOf(await login(h, { token: h.tokens.admin }));

  const overview = await h.request('/v1/overview', { headers: { cookie } });
  assert.equal(overview.status, 200);
  const stream = await openSse(`${h.url}/v1/events`, { cookie });
  assert.equal(stream.response.status, 200);
  stream.close();
  await stream.ended;

  const invoke = await h.request('/v1/functions/session-fn/invocations', {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/json' },
    body: '{}',
  });
  assert.equal(invoke.status, 401);
  assert.equal((await errorOf(invoke)).code, 'UNAUTHORIZED');
  const remove = await h.request('/v1/functions/session-fn', {
    method: 'DELETE',
    headers: { cookie },
  });
  assert.equal(remove.status, 401);
  // A function's own GET routes are not the control API: the cookie does not open them either.
  const trigger = await h.request('/fn/session-fn/', { headers: { cookie } });
  assert.equal(trigger.status, 401);
  assert.equal(h.broker.attempted.length, 0);
  assert.ok(await h.store.getFunction('session-fn'));
});

test('logout ends the session and clears the cookie; sessions expire', async (t) => {
  let now = Date.now();
  const h = await startHarness(t, { now: () => now, dashboard: { sessionTtlMs: 60_000 } });
  const cookie = cookieOf(await login(h, { token: h.tokens.invoke }));
  const logout = await h.request('/v1/session', { method: 'DELETE', headers: { cookie } });
  assert.equal(logout.status, 204);
  assert.match(
    logout.headers.get('set-cookie') ?? '',
    /^fjord_session=;.*expires=Thu, 01 Jan 1970/,
  );
  const after = await h.request('/v1/overview', { headers: { cookie } });
  assert.equal(after.status, 401);

  const second = cookieOf(await login(h, { token: h.tokens.invoke }));
  assert.equal((await h.request('/v1/overview', { headers: { cookie: second } })).status, 200);
  now += 60_001;
  const expired = await h.request('/v1/overview', { headers: { cookie: second } });
  assert.equal(expired.status, 401);
  assert.equal((await errorOf(expired)).code, 'UNAUTHORIZED');
});
