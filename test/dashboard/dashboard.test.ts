/**
 * The dashboard in a real browser: `fn up` as a process, Debian's headless Chromium driven by
 * playwright-core. One browser for the file (launching one takes seconds); every wait is on a
 * locator or an event, never a sleep.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import type { InvocationView } from '../../core/api.ts';
import { Api, readCredentials } from '../e2e/support/api.ts';
import { startFn, type FnServer } from '../e2e/support/fn-process.ts';

const VIEWPORT = { width: 1280, height: 800 };

let dir: string;
let server: FnServer;
let api: Api;
let browser: Browser;
let page: Page;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fjord-dashboard-'));
  [server, browser] = await Promise.all([
    startFn(['up', '--port', '0', '--data-dir', join(dir, 'data')]),
    chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    }),
  ]);
  const { credentials } = server.ready;
  assert.ok(credentials !== undefined);
  api = new Api(readCredentials(credentials));
  await api.deployFixture('dash-log', 'console-log');
  await api.deployFixture('dash-throw', 'throws');
  const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 });
  page = await context.newPage();
});

after(async () => {
  await browser?.close();
  await server?.stop('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

/** Runs an event invocation to its end, as a client of the gateway would. */
async function invokeAndWait(name: string, event: unknown): Promise<InvocationView> {
  const { status, body } = await api.json<InvocationView>(
    `/v1/functions/${name}/invocations?wait=true`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event),
    },
  );
  assert.ok(status === 200 || status === 502, `invocation answered ${status}`);
  return body;
}

/**
 * The element's box. The page re-renders its node table every second (a heartbeat's age), so an
 * element can be replaced between being found and being measured, which reads as no box: the
 * locator is measured again then, a few times, with no wait between.
 */
async function liveBoundingBox(
  element: Locator,
): Promise<Awaited<ReturnType<Locator['boundingBox']>>> {
  for (let attempt = 1; ; attempt++) {
    const box = await element.boundingBox();
    if (box !== null || attempt === 5) return box;
  }
}
test('a wrong token is refused on the login form', async () => {
  await page.goto(api.base);
  await page.locator('#token').fill('not-a-real-token');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const error = page.locator('#login-error');
  await error.waitFor({ state: 'visible' });
  assert.match(await error.innerText(), /not valid/);
  assert.equal(await page.locator('[data-testid=functions]').count(), 0);
});

test('the right token opens the dashboard with the deployed functions', async () => {
  await page.locator('#token').fill(api.token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const row = page.locator('[data-testid=function-row][data-name=dash-log]');
  await row.waitFor();
  assert.match(await row.innerText(), /dash-log\s+v1\s+isolate\s+HTTP \(public\)\s+\/fn\/dash-log/);
  await page.locator('[data-testid=function-row][data-name=dash-throw]').waitFor();
  // The page keeps no trace of the token: not in the URL, the markup or script-readable storage.
  assert.ok(!page.url().includes(api.token));
  assert.ok(!(await page.content()).includes(api.token));
  const cookies = await page.context().cookies();
  assert.deepEqual(
    cookies.map((c) => [c.name, c.httpOnly, c.sameSite]),
    [['fjord_session', true, 'Strict']],
  );
  assert.ok(!cookies[0]?.value.includes(api.token));
  assert.equal(await page.evaluate('document.cookie'), '');
  await page.locator('#live', { hasText: 'live' }).waitFor();
  await page.locator('[data-testid=node-row][data-state=running]').first().waitFor();
});

test('a new invocation appears live with its status, and its logs open on click', async () => {
  const view = await invokeAndWait('dash-log', { tag: 'from-the-test' });
  assert.equal(view.status, 'succeeded');
  const row = page.locator(`[data-testid=invocation-row][data-id="${view.id}"]`);
  await page
    .locator(`[data-testid=invocation-row][data-id="${view.id}"][data-status=succeeded]`)
    .waitFor();
  assert.match(await row.innerText(), /dash-log\s+succeeded\s+1/);
  await row.click();
  const logs = page.locator('[data-testid=invocation-logs]');
  await logs.waitFor();
  assert.match(await logs.innerText(), /info\s+info from-the-test=42/);
  const detail = page.locator(`[data-testid=invocation-detail][data-id="${view.id}"]`);
  assert.match(await detail.innerText(), new RegExp(`Trigger\\s+${view.trigger}, ${view.mode}`));
});

test('a failing invocation shows as failed, with its error', async () => {
  const view = await invokeAndWait('dash-throw', {});
  assert.equal(view.status, 'failed');
  const row = page.locator(
    `[data-testid=invocation-row][data-id="${view.id}"][data-status=failed]`,
  );
  await row.waitFor();
  await row.click();
  const error = page.locator(
    `[data-testid=invocation-detail][data-id="${view.id}"] ~ [data-testid=invocation-error]`,
  );
  await error.waitFor();
  assert.match(await error.innerText(), /FUNCTION_ERROR[\s\S]*the fixture failed on purpose/);
});

/** Starts an async invocation; the gateway answers 202 once the broker holds it. */
async function invokeAsync(name: string, event: unknown): Promise<void> {
  const response = await api.fetch(`/v1/functions/${name}/invocations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(event),
  });
  assert.equal(response.status, 202);
  await response.body?.cancel();
}

test('queue depth and dead letters follow live; nodes show their load', async () => {
  await api.deployFixture('dash-sleep', 'sleep', { concurrency: 1 });
  await api.deployFixture('dash-dead', 'throws', { retries: { maxAttempts: 1 } });
  const cell = (fn: string, testid: string) =>
    page.locator(`[data-testid=function-row][data-name=${fn}] [data-testid=${testid}]`);
  await cell('dash-sleep', 'queued').waitFor();
  // One runs at a time for 3 s: the other three wait in the queue, 9 s and more.
  for (let i = 0; i < 4; i++) await invokeAsync('dash-sleep', { ms: 3000 });
  await cell('dash-sleep', 'queued')
    .filter({ hasText: /^[1-3]$/ })
    .waitFor({ timeout: 20_000 });
  // Drained by the node, shown without a reload: only the live `queues` event says so.
  await cell('dash-sleep', 'queued').filter({ hasText: /^0$/ }).waitFor({ timeout: 60_000 });

  assert.equal(await cell('dash-dead', 'dead-letters').innerText(), '0');
  await invokeAsync('dash-dead', {});
  await cell('dash-dead', 'dead-letters').filter({ hasText: /^1$/ }).waitFor({ timeout: 30_000 });

  const node = page.locator('[data-testid=node-row][data-state=running]').first();
  // In flight over capacity (the sum of the functions' concurrency), and the host's load.
  assert.match(await node.locator('[data-testid=node-inflight]').innerText(), /^\d+ \/ \d+$/);
  assert.match(
    await node.locator('[data-testid=node-load]').innerText(),
    /^\d+\.\d\d · \d+ CPUs?$/,
  );
});

test('a screenshot at 1280x800 shows every section inside the viewport', async () => {
  const path = join(dir, 'dashboard.png');
  await page.screenshot({ path });
  // README's docs/dashboard.png is made this way: FN_DASHBOARD_SCREENSHOT=docs/dashboard.png.
  const keep = process.env.FN_DASHBOARD_SCREENSHOT;
  if (keep !== undefined && keep !== '') await copyFile(path, keep);
  const png = await readFile(path);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.equal(png.toString('latin1', 12, 16), 'IHDR');
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [VIEWPORT.width, VIEWPORT.height]);
  for (const selector of [
    '#live',
    '[data-testid=functions] h2',
    '[data-testid=function-row][data-name=dash-log]',
    '[data-testid=function-row][data-name=dash-log] [data-testid=queued]',
    '[data-testid=function-row][data-name=dash-log] [data-testid=dead-letters]',
    '[data-testid=nodes] h2',
    '[data-testid=node-row]',
    '[data-testid=node-row] [data-testid=node-load]',
    '[data-testid=node-row] [data-testid=node-heartbeat]',
    '[data-testid=invocations] h2',
    '[data-testid=invocation-row]',
    '[data-testid=detail] h2',
  ]) {
    const element = page.locator(selector).first();
    assert.ok(await element.isVisible(), `${selector} is visible`);
    const box = await liveBoundingBox(element);
    assert.ok(box !== null, `${selector} has a box`);
    assert.ok(
      box.x >= 0 &&
        box.y >= 0 &&
        box.x + box.width <= VIEWPORT.width &&
        box.y + box.height <= VIEWPORT.height,
      `${selector} lies inside the viewport: ${JSON.stringify(box)}`,
    );
  }
  // No table is wider than its card (a card clips what overflows it).
  for (const card of ['functions', 'nodes', 'invocations']) {
    const outer = await page.locator(`[data-testid=${card}]`).boundingBox();
    const table = await page.locator(`[data-testid=${card}] table`).boundingBox();
    assert.ok(outer !== null && table !== null, `${card} has a table`);
    assert.ok(
      table.x + table.width <= outer.x + outer.width,
      `the ${card} table fits its card: ${JSON.stringify({ outer, table })}`,
    );
  }
});

test('logging out returns to the login form and ends the session', async () => {
  await page.locator('#logout').click();
  await page.locator('#login-form').waitFor();
  const status = await page.evaluate(async () => (await fetch('/v1/overview')).status);
  assert.equal(status, 401);
});

test('fn up stops gracefully while a dashboard is connected', async () => {
  await page.locator('#token').fill(api.token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#live', { hasText: 'live' }).waitFor();
  assert.equal(await server.stop('SIGTERM'), 0);
});
