/**
 * The Workers-style examples in functions/ (redirect, hmac-webhook, streaming-text), deployed
 * with the real `fn deploy` to a real `fn up` and called over HTTP; and fetch() with fn.json
 * `egress` through the whole pipeline (manifest, store, node) against a server on loopback.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { InvocationView } from '../../core/api.ts';
import { Api, readCredentials } from './support/api.ts';
import { runFn, startFn, type FnServer } from './support/fn-process.ts';

const FUNCTIONS = fileURLToPath(new URL('../../functions/', import.meta.url));

describe('Workers-style examples on fn up', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fjord-workers-'));
  const upstream = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`upstream saw ${req.method} ${req.url}`);
  });
  let server: FnServer;
  let api: Api;
  let upstreamHost: string;

  before(async () => {
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    upstreamHost = `127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    server = await startFn(['up', '--port', '0', '--no-examples'], { cwd: dir });
    api = new Api(readCredentials(join(dir, '.fn', 'credentials.json')));
    const deploys = ['redirect', 'hmac-webhook', 'streaming-text'].map((name) =>
      runFn(['deploy', join(FUNCTIONS, name)], { cwd: dir }),
    );
    for (const deployed of await Promise.all(deploys))
      assert.equal(deployed.code, 0, deployed.stderr);
  });

  after(async () => {
    await server?.stop();
    upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('redirect: 302 (or 301 with ?permanent) to the target, query kept; unknown slug 404', async () => {
    const found = await fetch(`${api.base}/fn/redirect/hono?utm=x`, { redirect: 'manual' });
    assert.equal(found.status, 302);
    assert.equal(found.headers.get('location'), 'https://hono.dev/?utm=x');
    const permanent = await fetch(`${api.base}/fn/redirect/docs?permanent`, { redirect: 'manual' });
    assert.equal(permanent.status, 301);
    assert.equal(permanent.headers.get('location'), 'https://developers.cloudflare.com/workers/');
    const unknown = await fetch(`${api.base}/fn/redirect/nope`, { redirect: 'manual' });
    assert.equal(unknown.status, 404);
    assert.deepEqual(await unknown.json(), {
      error: 'no short link "nope"',
      known: ['docs', 'hono', 'rfc9110'],
    });
  });

  test('hmac-webhook: a correct signature is accepted; a wrong or missing one is 401', async () => {
    const body = JSON.stringify({ type: 'push', ref: 'refs/heads/main' });
    const sign = (secret: string) =>
      `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    const post = (signature?: string) =>
      fetch(`${api.base}/fn/hmac-webhook`, {
        method: 'POST',
        headers: signature === undefined ? {} : { 'x-signature-256': signature },
        body,
      });
    const good = await post(sign('replace-this-secret'));
    assert.equal(good.status, 200);
    assert.deepEqual(await good.json(), { received: 'push' });
    for (const bad of [sign('another-secret'), undefined, 'sha256=zz', 'md5=00']) {
      const refused = await post(bad);
      assert.equal(refused.status, 401, `signature ${String(bad)}`);
      assert.deepEqual(await refused.json(), { error: 'missing or invalid X-Signature-256' });
    }
    const get = await fetch(`${api.base}/fn/hmac-webhook`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
  });

  test('streaming-text: every line of the streamed body arrives', async () => {
    const response = await fetch(`${api.base}/fn/streaming-text?lines=4`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-lines'), '4');
    assert.equal(await response.text(), 'line 1 of 4\nline 2 of 4\nline 3 of 4\nline 4 of 4\n');
  });

  test('fetch() reaches a host allowed by fn.json egress and is denied elsewhere', async () => {
    await api.deployFixture('egress-allowed', 'fetch-client', {
      egress: { allow: [upstreamHost] },
    });
    await api.deployFixture('egress-none', 'fetch-client');
    const invoke = async (name: string, event: unknown) => {
      const { body } = await api.json<InvocationView>(
        `/v1/functions/${name}/invocations?wait=true`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(event),
        },
      );
      return body;
    };
    const allowed = await invoke('egress-allowed', { url: `http://${upstreamHost}/data?x=1` });
    assert.equal(allowed.status, 'succeeded', JSON.stringify(allowed));
    assert.equal((allowed.result as { body: string }).body, 'upstream saw GET /data?x=1');
    const denied = await invoke('egress-none', {
      url: `http://${upstreamHost}/data`,
      uncaught: true,
    });
    assert.equal(denied.status, 'failed');
    assert.equal(denied.error?.code, 'EGRESS_DENIED');
    assert.match(denied.error?.message ?? '', new RegExp(`fetch to ${upstreamHost} denied`));
  });
});
