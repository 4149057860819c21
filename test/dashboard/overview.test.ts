/** GET /v1/overview and the page at / (served without a token, holding none). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AcceptedResponse } from '../../core/api.ts';
import type { OverviewResponse } from '../../gateway/dashboard/wire.ts';
import { errorOf, invoke, resultOf, startHarness } from '../gateway/harness.ts';
import { waitFor } from '../support/inbox.ts';

test('the overview lists functions with triggers and depths, invocations and nodes', async (t) => {
  let now = Date.now();
  const h = await startHarness(t, { now: () => now, heartbeatMs: 1000 });
  assert.equal((await h.request('/v1/overview')).status, 401);
  await h.deploy('ov-cron', {
    name: 'ov-cron',
    triggers: { schedule: { cron: '@hourly', timezone: 'Europe/Oslo' } },
  });
  await h.deploy('ov-fail');
  const accepted = await invoke(h, 'ov-fail', '{}');
  const { id } = (await accepted.json()) as AcceptedResponse;
  const message = h.broker.enqueued[0];
  assert.ok(message);
  const error = { code: 'FUNCTION_ERROR' as const, message: 'no' };
  await h.broker.publishResult({
    type: 'finished',
    result: { ...resultOf(message, { error }), next: { action: 'dead' } },
  });
  await h.broker.emitDeadLetter({
    message,
    attempt: 1,
    error,
    node: 'node-a',
    deadAt: now,
    ran: true,
  });
  const node = {
    hostname: 'h',
    startedAt: 1,
    state: 'running' as const,
    inflight: 0,
    functions: [],
  };
  h.broker.emitControl({ type: 'heartbeat', node: { ...node, id: 'node-old' } });
  now += 5000;
  h.broker.emitControl({ type: 'heartbeat', node: { ...node, id: 'node-new' } });

  const overview = await waitFor(async () => {
    const response = await h.request('/v1/overview', { token: 'invoke' });
    const body = (await response.json()) as OverviewResponse;
    return body.functions.find((f) => f.name === 'ov-fail')?.deadLetters === 1 && body;
  });
  assert.equal(overview.heartbeatMs, 1000);
  const cron = overview.functions.find((f) => f.name === 'ov-cron');
  assert.deepEqual(cron?.triggers, ['HTTP (public)', 'cron @hourly Europe/Oslo']);
  assert.equal(cron?.version, 1);
  assert.equal(cron?.url, '/fn/ov-cron');
  const [latest] = overview.invocations;
  assert.equal(latest?.id, id);
  assert.equal(latest.status, 'dead');
  assert.deepEqual(latest.error, error);
  assert.deepEqual(
    overview.nodes.map((n) => [n.id, n.up]),
    [
      ['node-new', true],
      ['node-old', false],
    ],
  );
});

test('the page is served without a token, with a strict CSP and nothing secret in it', async (t) => {
  const h = await startHarness(t);
  const page = await h.request('/');
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  const csp = page.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  const html = await page.text();
  assert.match(html, /<script src="\/dashboard\/app\.js" defer><\/script>/);
  assert.ok(!/https?:\/\//.test(html), 'the page loads nothing from elsewhere');
  for (const token of Object.values(h.tokens)) assert.ok(!html.includes(token));

  const script = await h.request('/dashboard/app.js');
  assert.equal(script.status, 200);
  assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
  const code = await script.text();
  assert.ok(code.includes('/v1/events'), 'the bundle is the dashboard script');
  assert.ok(!/\bimport\s*[{*]/.test(code), 'bundled, no imports left');
  const style = await h.request('/dashboard/app.css');
  assert.equal(style.status, 200);
  assert.match(style.headers.get('content-type') ?? '', /^text\/css/);
  assert.ok(!(await style.text()).includes('@import'));

  const unknown = await h.request('/dashboard/nope.js');
  assert.equal(unknown.status, 404);
  assert.equal((await errorOf(unknown)).code, 'ROUTE_NOT_FOUND');
});
