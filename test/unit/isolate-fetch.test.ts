/**
 * fetch() from inside an isolate, performed by the host under the function's egress policy.
 * Everything happens against HTTP servers on 127.0.0.1 started here; the "other host" of the
 * policy tests is `localhost`, which reaches the same server but is not on the allow-list.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { FunctionSpec } from '../../core/messages.ts';
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import { FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
import {
  errorOf,
  eventPayload,
  invocationContext,
  valueOf,
} from '../fixtures/bundles/invocations.ts';
import { Inbox } from '../support/inbox.ts';

interface FetchError {
  name: string;
  message: string;
  code?: string;
}

interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A loopback server that records every request; `/hold` never answers until the client leaves. */
async function startServer(): Promise<{
  server: Server;
  base: string;
  seen: Seen[];
  closed: Inbox<string>;
}> {
  const seen: Seen[] = [];
  const closed = new Inbox<string>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method ?? '', path: url.pathname, headers: req.headers, body });
      switch (url.pathname) {
        case '/hello':
          res.writeHead(200, 'Fine', { 'content-type': 'text/plain', 'x-test': 'yes' });
          res.end('hi from the server');
          return;
        case '/echo':
          res.writeHead(201, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({ method: req.method, custom: req.headers['x-custom'] ?? null, body }),
          );
          return;
        case '/redirect':
          res.writeHead(Number(url.searchParams.get('status') ?? 302), {
            location: url.searchParams.get('to') ?? '/hello',
          });
          res.end();
          return;
        case '/gzip':
          res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
          res.end(gzipSync('compressed text'));
          return;
        case '/big':
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          res.end(Buffer.alloc(2 * 1024 * 1024));
          return;
        case '/hold':
          res.on('close', () => closed.push(url.pathname));
          return;
        default:
          res.writeHead(404);
          res.end();
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { server, base: `http://127.0.0.1:${port}`, seen, closed };
}

describe('isolate executor: fetch through the host with an egress policy', () => {
  const fixtures = new FixtureBundles();
  let executor: IsolateExecutor;
  let main: Awaited<ReturnType<typeof startServer>>;
  let other: Awaited<ReturnType<typeof startServer>>;

  before(async () => {
    main = await startServer();
    other = await startServer();
    executor = new IsolateExecutor({
      loadCode: fixtures.load,
      maxFetches: 3,
      maxFetchResponseBytes: 1024 * 1024,
    });
  });
  after(async () => {
    await executor.dispose();
    main.server.close();
    other.server.close();
  });

  const allowMain = (): Partial<FunctionSpec> => ({
    egress: { allow: [main.base.slice('http://'.length)] },
  });
  const run = async (plan: Record<string, unknown>, overrides = allowMain(), deadlineMs = 10_000) =>
    executor.invoke(
      await fixtures.spec('fetch-client', overrides),
      eventPayload(plan),
      invocationContext({ deadline: Date.now() + deadlineMs }),
    );

  test('an allowed host answers with status, status text, headers and body', async () => {
    const seen = valueOf(await run({ url: `${main.base}/hello` }));
    assert.deepEqual(seen, {
      status: 200,
      statusText: 'Fine',
      url: `${main.base}/hello`,
      redirected: false,
      // Headers about the connection (keep-alive, chunked transfer) stay with the host.
      headers: {
        'content-type': 'text/plain',
        date: (seen as { headers: { date: string } }).headers.date,
        'x-test': 'yes',
      },
      body: 'hi from the server',
      isResponse: true,
    });
  });

  test('method, headers and body reach the server; a gzip body arrives decoded', async () => {
    const echoed = valueOf(
      await run({
        url: `${main.base}/echo`,
        method: 'PUT',
        body: 'payload',
        headers: { 'x-custom': 'c1' },
      }),
    ) as { status: number; body: string };
    assert.equal(echoed.status, 201);
    assert.deepEqual(JSON.parse(echoed.body), { method: 'PUT', custom: 'c1', body: 'payload' });
    const gzip = valueOf(await run({ url: `${main.base}/gzip` })) as {
      body: string;
      headers: Record<string, string>;
    };
    assert.equal(gzip.body, 'compressed text');
    assert.equal(gzip.headers['content-encoding'], undefined);
  });

  test('redirects are followed hop by hop; manual and error modes stop at the first', async () => {
    const target = encodeURIComponent(`${main.base}/echo`);
    const followed = valueOf(
      await run({
        url: `${main.base}/redirect?status=303&to=${target}`,
        method: 'POST',
        body: 'x',
      }),
    ) as { status: number; redirected: boolean; url: string; body: string };
    assert.equal(followed.status, 201);
    assert.equal(followed.redirected, true);
    assert.equal(followed.url, `${main.base}/echo`);
    // 303 turns the POST into a GET without a body, as the Fetch standard says.
    assert.deepEqual(JSON.parse(followed.body), { method: 'GET', custom: null, body: '' });
    const manual = valueOf(
      await run({ url: `${main.base}/redirect?to=/hello`, redirect: 'manual' }),
    ) as {
      status: number;
      headers: Record<string, string>;
    };
    assert.equal(manual.status, 302);
    assert.equal(manual.headers.location, '/hello');
    const refused = valueOf(
      await run({ url: `${main.base}/redirect?to=/hello`, redirect: 'error' }),
    ) as {
      error: { name: string; message: string };
    };
    assert.equal(refused.error.name, 'TypeError');
    assert.match(refused.error.message, /redirect mode is "error"/);
  });

  test('an unlisted host, another port and a function without egress are denied', async () => {
    const before = main.seen.length;
    const port = new URL(main.base).port;
    const unlisted = valueOf(await run({ url: `http://localhost:${port}/hello` })) as {
      error: FetchError;
    };
    assert.deepEqual(unlisted.error, {
      name: 'TypeError',
      code: 'EGRESS_DENIED',
      message: `fetch to localhost:${port} denied: it is not in fn.json egress.allow (egress.allow is ${JSON.stringify([main.base.slice(7)])})`,
    });
    const otherPort = valueOf(await run({ url: `${other.base}/hello` })) as {
      error: FetchError;
    };
    assert.equal(otherPort.error.code, 'EGRESS_DENIED');
    assert.match(otherPort.error.message, new RegExp(`fetch to ${other.base.slice(7)} denied`));
    // Another version: an isolate applies the policy of the version it was created for.
    const none = valueOf(await run({ url: `${main.base}/hello` }, { version: 2 })) as {
      error: FetchError;
    };
    assert.equal(none.error.code, 'EGRESS_DENIED');
    assert.match(none.error.message, /egress\.allow is empty/);
    assert.equal(main.seen.length, before, 'no denied request reached the server');
    assert.equal(other.seen.length, 0);
  });

  test('a redirect to an unlisted host is denied before that hop is requested', async () => {
    const port = new URL(main.base).port;
    const before = main.seen.length;
    const to = encodeURIComponent(`http://localhost:${port}/hello`);
    const result = valueOf(await run({ url: `${main.base}/redirect?to=${to}` })) as {
      error: FetchError;
    };
    assert.equal(result.error.code, 'EGRESS_DENIED');
    assert.match(result.error.message, new RegExp(`fetch to localhost:${port} denied`));
    assert.deepEqual(
      main.seen.slice(before).map((s) => s.path),
      ['/redirect'],
    );
  });

  test('an uncaught EGRESS_DENIED fails the invocation with that code', async () => {
    const error = errorOf(await run({ url: `${other.base}/hello`, uncaught: true }));
    assert.equal(error.code, 'EGRESS_DENIED');
    assert.match(error.message, /denied: it is not in fn\.json egress\.allow/);
  });

  test('per-invocation limits: request count and response size are FETCH_LIMIT_EXCEEDED', async () => {
    const results = valueOf(await run({ url: `${main.base}/hello`, times: 4 })) as {
      status?: number;
      error?: FetchError;
    }[];
    assert.deepEqual(
      results.map((r) => r.status ?? r.error?.code),
      [200, 200, 200, 'FETCH_LIMIT_EXCEEDED'],
    );
    assert.match(results[3]?.error?.message ?? '', /at most 3 requests/);
    // The budget belongs to one invocation: the next one starts again.
    assert.equal(
      (valueOf(await run({ url: `${main.base}/hello` })) as { status: number }).status,
      200,
    );
    const big = valueOf(await run({ url: `${main.base}/big` })) as {
      error: FetchError;
    };
    assert.equal(big.error.code, 'FETCH_LIMIT_EXCEEDED');
    assert.match(big.error.message, /larger than the limit of 1048576 bytes/);
  });

  test('AbortSignal.timeout aborts a fetch and the host drops the request', async () => {
    const result = valueOf(await run({ url: `${main.base}/hold`, abortAfterMs: 20 })) as {
      error: FetchError;
    };
    assert.equal(result.error.name, 'TimeoutError');
    assert.equal(await main.closed.next(5000, 'the held request to close'), '/hold');
  });

  test('the invocation deadline applies to a fetch in flight', async () => {
    // A warm isolate and a deadline far above its start-up, so that even on a loaded machine the
    // fetch is in flight when the deadline strikes (a cold start could eat a short one whole).
    valueOf(await run({ url: `${main.base}/hello` }));
    const error = errorOf(
      await run({ url: `${main.base}/hold`, uncaught: true }, allowMain(), 1500),
    );
    assert.equal(error.code, 'INVOCATION_TIMEOUT');
    assert.equal(await main.closed.next(5000, 'the held request to close'), '/hold');
  });
});
