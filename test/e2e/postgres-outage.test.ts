/**
 * A `fn gateway` whose PostgreSQL goes away (a TCP proxy between them is cut) while an
 * invocation runs: the API answers 503 STORE_UNAVAILABLE instead of failing otherwise, the
 * result that arrives meanwhile stays on the broker, and once the store is back it is recorded.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '../support/inbox.ts';
import { POSTGRES_URL, storeUrl, testSchema } from '../support/postgres.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';
import { Api, readCredentials } from './support/api.ts';
import { startFn, type FnServer } from './support/fn-process.ts';
import { testVhost } from './support/rabbitmq.ts';

describe('fn gateway on PostgreSQL, PostgreSQL cut off', () => {
  const AMQP_URL = testVhost();
  const dir = mkdtempSync(join(tmpdir(), 'fjord-pg-outage-'));
  const dataDir = join(dir, '.fn');
  const proxy = new TcpProxy({ host: '127.0.0.1', port: Number(new URL(POSTGRES_URL).port) });
  const servers: FnServer[] = [];
  let gateway: FnServer;
  let api: Api;

  after(async () => {
    proxy.restore();
    for (const server of servers) await server.stop('SIGKILL');
    await proxy.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const schema = testSchema({ after });

  before(async () => {
    await proxy.start();
    const store = new URL(storeUrl(schema));
    store.port = String(proxy.port);
    gateway = await startFn(
      ['gateway', '--port', '0', '--data-dir', dataDir, '--broker', AMQP_URL],
      { cwd: dir, env: { FN_STORE: store.toString() } },
    );
    servers.push(gateway);
    api = new Api(readCredentials(join(dataDir, 'credentials.json')));
    const nodeToken = readFileSync(join(dataDir, 'node-token'), 'utf8').trim();
    servers.push(
      await startFn(['node', '--broker', AMQP_URL, '--gateway', api.base, '--token', nodeToken], {
        cwd: dir,
      }),
    );
  });

  test('503 STORE_UNAVAILABLE while it is gone; what the node reported meanwhile is recorded after', async () => {
    const sleepy = `sleepy-${randomBytes(3).toString('hex')}`;
    await api.deployFixture(sleepy, 'sleep');
    // A first call loads the bundle on the node: without the store, the gateway cannot serve it.
    assert.equal((await api.settled(await api.invokeAsync(sleepy, { ms: 0 }))).status, 'succeeded');
    // Cut right after the acceptance: the result, two seconds away, comes while the store is
    // gone (and the start report too, unless it was recorded first).
    const id = await api.invokeAsync(sleepy, { ms: 2000 });
    proxy.cut();
    for (const path of ['/v1/functions', `/v1/invocations/${id}`]) {
      const { status, body } = await api.json<{ error: { code: string } }>(path);
      assert.equal(status, 503, path);
      assert.equal(body.error.code, 'STORE_UNAVAILABLE', path);
    }
    await waitFor(() => gateway.stderr().includes('handler failed; redelivering'), {
      timeoutMs: 30_000,
      what: 'a report of the node to fail to record while the store is gone',
    });

    proxy.restore();
    const view = await api.settled(id, 60_000);
    assert.equal(view.status, 'succeeded');
    assert.equal((await api.json('/v1/functions')).status, 200);
  });
});
