/**
 * Code nobody on the team wrote: the Hono application in functions/hono-app, deployed with the
 * real `fn deploy` to a real `fn up` and driven over HTTP through every feature it uses.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { DeployResponse } from '../../core/api.ts';
import { readCredentials } from './support/api.ts';
import { runFnJson, startFn, type FnServer } from './support/fn-process.ts';

const HONO_APP = fileURLToPath(new URL('../../functions/hono-app', import.meta.url));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('an unmodified Hono application on fn up', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fjord-hono-'));
  let server: FnServer;
  let base: string;

  before(async () => {
    server = await startFn(['up', '--port', '0', '--no-examples'], { cwd: dir });
    const deployed = await runFnJson<DeployResponse>(['deploy', HONO_APP], { cwd: dir });
    assert.equal(deployed.function.name, 'hono-app');
    base = `${readCredentials(join(dir, '.fn', 'credentials.json')).gateway}/fn/hono-app`;
  });

  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('routes with params answer JSON; the request-id middleware tags every response', async () => {
    const response = await fetch(`${base}/api/books/3`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/json');
    assert.match(response.headers.get('x-request-id') ?? '', UUID);
    assert.deepEqual(await response.json(), {
      id: '3',
      title: 'Kindred',
      author: 'Octavia E. Butler',
      year: 1979,
    });
    const list = (await (await fetch(`${base}/api/books?author=Le%20Guin`)).json()) as {
      books: { id: string }[];
      requestId: string;
    };
    assert.deepEqual(
      list.books.map((b) => b.id),
      ['1', '2'],
    );
    assert.match(list.requestId, UUID);
    const given = await fetch(`${base}/api/books/1`, { headers: { 'x-request-id': 'trace-42' } });
    assert.equal(given.headers.get('x-request-id'), 'trace-42');
    const regex = await fetch(`${base}/api/authors/Butler/books/1979`);
    assert.deepEqual(await regex.json(), { author: 'Butler', year: 1979, titles: ['Kindred'] });
    const missing = await fetch(`${base}/api/books/99`);
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { error: 'no book 99' });
  });

  test('a JSON body is parsed, validated and answered with 201 and a Location', async () => {
    const created = await fetch(`${base}/api/books`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        title: 'Parable of the Sower',
        author: 'Octavia E. Butler',
        year: 1993,
      }),
    });
    assert.equal(created.status, 201);
    const book = (await created.json()) as { id: string; title: string; year: number };
    assert.match(book.id, UUID);
    assert.equal(book.title, 'Parable of the Sower');
    assert.equal(created.headers.get('location'), `/api/books/${book.id}`);
    const invalid = await fetch(`${base}/api/books`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 7 }),
    });
    assert.equal(invalid.status, 422);
    assert.deepEqual(await invalid.json(), { error: 'title and author are required strings' });
    const notJson = await fetch(`${base}/api/books`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{oops',
    });
    assert.equal(notJson.status, 400);
    assert.equal(await notJson.text(), 'the body must be JSON');
  });

  test('CORS: a preflight from the allowed origin is answered, other origins get no grant', async () => {
    const preflight = await fetch(`${base}/api/books`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://books.example.com',
        'access-control-request-method': 'POST',
      },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://books.example.com');
    assert.equal(preflight.headers.get('access-control-allow-methods'), 'GET,POST');
    assert.equal(preflight.headers.get('access-control-max-age'), '600');
    const simple = await fetch(`${base}/api/books/1`, {
      headers: { origin: 'https://books.example.com' },
    });
    assert.equal(simple.headers.get('access-control-allow-origin'), 'https://books.example.com');
    assert.equal(simple.headers.get('access-control-expose-headers'), 'X-Request-Id');
    const foreign = await fetch(`${base}/api/books/1`, {
      headers: { origin: 'https://evil.example' },
    });
    assert.equal(foreign.headers.get('access-control-allow-origin'), null);
  });

  test('basic auth guards /admin with the credentials from fn.json env', async () => {
    const anonymous = await fetch(`${base}/admin/stats`);
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Basic realm=/);
    const wrong = await fetch(`${base}/admin/stats`, {
      headers: { authorization: `Basic ${btoa('admin:wrong')}` },
    });
    assert.equal(wrong.status, 401);
    const right = await fetch(`${base}/admin/stats`, {
      headers: { authorization: `Basic ${btoa('admin:change-me')}` },
    });
    assert.equal(right.status, 200);
    assert.deepEqual(await right.json(), { books: 3, user: 'admin' });
  });

  test('streamText: every line written by the stream callback arrives', async () => {
    const response = await fetch(`${base}/stream`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/plain; charset=UTF-8');
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(
      await response.text(),
      '1969 The Left Hand of Darkness\n1974 The Dispossessed\n1979 Kindred\ndone',
    );
  });

  test('unknown paths go to the notFound handler', async () => {
    const response = await fetch(`${base}/no/such/page?x=1`);
    assert.equal(response.status, 404);
    assert.deepEqual(await response.json(), { error: 'not found', path: '/no/such/page' });
    const root = await fetch(base);
    assert.equal(await root.text(), 'Books API: try /api/books\n');
  });
});
