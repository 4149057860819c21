/**
 * Admission of invocation requests on a gateway over the fake broker: rate limits per function
 * (fn.json limits.rateLimit) and per token (429 RATE_LIMITED with Retry-After), the queue-length
 * cap (503 OVERLOADED until the queues drain) and the metrics that count them. The clock is the
 * test's, so no assertion depends on timing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { uniqueName } from '../support/fixtures.ts';
import { waitFor } from '../support/inbox.ts';
import { errorOf, invoke, startHarness, type Harness } from './harness.ts';

async function deployed(h: Harness, manifest: Record<string, unknown> = {}): Promise<string> {
  const name = uniqueName('lim');
  const response = await h.deploy(name, { name, ...manifest });
  assert.equal(response.status, 201, await response.text());
  return name;
}

async function metrics(h: Harness): Promise<string> {
  return (await h.request('/metrics', { token: 'invoke' })).text();
}

test('a function over its fn.json rate gets 429 RATE_LIMITED with Retry-After until it refills', async (t) => {
  let clock = 1_000_000;
  const h = await startHarness(t, { now: () => clock });
  const name = await deployed(h, { limits: { rateLimit: { perSecond: 1, burst: 2 } } });
  assert.equal((await invoke(h, name, '{}')).status, 202);
  // The HTTP trigger and the invocations API draw on the same bucket.
  const viaTrigger = await h.request(`/fn/${name}/x`, { headers: { prefer: 'respond-async' } });
  assert.equal(viaTrigger.status, 202);
  const refused = await invoke(h, name, '{}');
  assert.equal(refused.status, 429);
  assert.equal(refused.headers.get('retry-after'), '1');
  assert.equal((await errorOf(refused)).code, 'RATE_LIMITED');
  assert.equal(h.broker.attempted.length, 2, 'a refused request never reaches the broker');
  clock += 1000;
  assert.equal((await invoke(h, name, '{}')).status, 202, 'one token refilled after a second');
  assert.match(
    await metrics(h),
    new RegExp(`fjord_rejected_total\\{reason="function_rate",function="${name}"\\} 1`),
  );
});

test('a token over its rate gets 429 while other tokens and anonymous callers go on', async (t) => {
  let clock = 1_000_000;
  const h = await startHarness(t, {
    now: () => clock,
    admissionLimits: { tokenRate: { perSecond: 0.5, burst: 1 } },
  });
  const name = await deployed(h);
  assert.equal((await invoke(h, name, '{}')).status, 202);
  const refused = await invoke(h, name, '{}');
  assert.equal(refused.status, 429);
  assert.equal(refused.headers.get('retry-after'), '2', 'one request every two seconds');
  assert.match((await errorOf(refused)).message, /token is over its rate limit/);
  const admin = await h.request(`/v1/functions/${name}/invocations`, {
    method: 'POST',
    token: 'admin',
    body: '{}',
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(admin.status, 202, 'another token has its own bucket');
  const anonymous = await h.request(`/fn/${name}`, { headers: { prefer: 'respond-async' } });
  assert.equal(anonymous.status, 202, 'a public trigger without a token has no token bucket');
  clock += 2000;
  assert.equal((await invoke(h, name, '{}')).status, 202);
});

test('the default function rate applies to functions without limits.rateLimit', async (t) => {
  const clock = 1_000_000;
  const h = await startHarness(t, {
    now: () => clock,
    admissionLimits: { functionRate: { perSecond: 1, burst: 1 } },
  });
  const plain = await deployed(h);
  const own = await deployed(h, { limits: { rateLimit: { perSecond: 10 } } });
  assert.equal((await invoke(h, plain, '{}')).status, 202);
  assert.equal((await invoke(h, plain, '{}')).status, 429);
  for (let i = 0; i < 10; i++) {
    assert.equal((await invoke(h, own, '{}')).status, 202, `request ${i} within its own burst`);
  }
  assert.equal((await invoke(h, own, '{}')).status, 429);
});

test('fn.json limits are validated at deploy, naming the field', async (t) => {
  const h = await startHarness(t);
  const name = uniqueName('lim');
  const response = await h.deploy(name, { name, limits: { rateLimit: { perSecond: 0 } } });
  assert.equal(response.status, 400);
  const error = await errorOf(response);
  assert.equal(error.code, 'INVALID_MANIFEST');
  assert.match(error.message, /limits\.rateLimit\.perSecond/);
  const unknown = await h.deploy(name, { name, limits: { concurency: 2 } });
  assert.match((await errorOf(unknown)).message, /unknown field "limits\.concurency"/);
});

test('over --max-queued, sync and async invocations get 503 OVERLOADED until the queues drain', async (t) => {
  const h = await startHarness(t, { admissionLimits: { maxQueued: 10, queueSampleMs: 20 } });
  const name = await deployed(h);
  h.broker.depths.set(name, 10);
  const shed = await waitFor(
    async () => {
      const response = await invoke(h, name, '{}');
      return response.status === 503 ? response : undefined;
    },
    { what: 'the gateway to shed load' },
  );
  assert.equal(shed.headers.get('retry-after'), '1');
  assert.equal((await errorOf(shed)).code, 'OVERLOADED');
  const sync = await invoke(h, name, '{}', '?wait=true');
  assert.equal(sync.status, 503);
  const trigger = await h.request(`/fn/${name}`);
  assert.equal((await errorOf(trigger)).code, 'OVERLOADED');
  const text = await metrics(h);
  assert.match(text, new RegExp(`fjord_queue_depth\\{function="${name}"\\} 10`));
  assert.match(text, new RegExp(`fjord_dead_letters\\{function="${name}"\\} 0`));
  const overview = (await (await h.request('/v1/overview', { token: 'invoke' })).json()) as {
    functions: { name: string; queued?: number }[];
  };
  assert.equal(overview.functions.find((f) => f.name === name)?.queued, 10);
  assert.match(
    text,
    new RegExp(`fjord_rejected_total\\{reason="overloaded",function="${name}"\\} 3`),
  );

  h.broker.depths.set(name, 0);
  await waitFor(async () => (await invoke(h, name, '{}')).status === 202, {
    what: 'the gateway to admit again',
  });
});

test('between samples, what the gateway admitted counts toward the cap', async (t) => {
  // One sample at start (empty queues), the next a minute later: only the count can refuse.
  const h = await startHarness(t, { admissionLimits: { maxQueued: 3, queueSampleMs: 60_000 } });
  const name = await deployed(h);
  for (let i = 0; i < 3; i++) assert.equal((await invoke(h, name, '{}')).status, 202);
  const refused = await invoke(h, name, '{}');
  assert.equal(refused.status, 503);
  assert.equal(refused.headers.get('retry-after'), '60');
});
