/**
 * RabbitMQ goes away under a running `fn up`: the gateway answers 503 (never a 202 it cannot
 * keep) and not ready; when RabbitMQ is back, everything resumes by itself. The outage is a cut
 * proxy, so other tests sharing the broker are unaffected.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ErrorBody } from '../../core/api.ts';
import { waitFor } from '../support/inbox.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';
import { Api, readCredentials } from './support/api.ts';
import { startFn, type FnServer } from './support/fn-process.ts';
import { amqpTarget, amqpUrlOnPort, testVhost } from './support/rabbitmq.ts';

const fnName = `outage-${randomBytes(3).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'fjord-outage-'));
const vhostUrl = testVhost();
const proxy = new TcpProxy(amqpTarget());
let server: FnServer | undefined;
let api: Api | undefined;
after(async () => {
  await api?.fetch(`/v1/functions/${fnName}`, { method: 'DELETE' });
  await server?.stop('SIGKILL');
  await proxy.close();
  rmSync(dir, { recursive: true, force: true });
});

test('broker down: 503 and not ready; broker back: service resumes by itself', async () => {
  await proxy.start();
  server = await startFn(
    [
      'up',
      '--port',
      '0',
      '--data-dir',
      join(dir, '.fn'),
      '--no-examples',
      '--broker',
      amqpUrlOnPort(vhostUrl, proxy.port),
    ],
    { cwd: dir },
  );
  api = new Api(readCredentials(server.ready.credentials ?? ''));
  await api.deployFixture(fnName, 'event-echo');
  const before = await api.invokeAsync(fnName, { name: 'before' });
  const first = await api.settled(before);
  assert.equal(first.status, 'succeeded', JSON.stringify(first));

  proxy.cut();
  await waitFor(async () => (await fetch(`${api!.base}/readyz`)).status === 503, {
    what: '/readyz to say 503',
  });
  const refused = await api.json<ErrorBody>(`/v1/functions/${fnName}/invocations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"name":"during"}',
  });
  assert.equal(refused.status, 503);
  assert.equal(refused.body.error.code, 'BROKER_UNAVAILABLE');
  const sync = await fetch(`${api.base}/fn/${fnName}`);
  assert.equal(sync.status, 503);
  assert.equal((await fetch(`${api.base}/healthz`)).status, 200, 'the process itself stays up');

  proxy.restore();
  await waitFor(async () => (await fetch(`${api!.base}/readyz`)).status === 200, {
    what: '/readyz to recover',
    timeoutMs: 30_000,
  });
  const after = await api.invokeAsync(fnName, { name: 'after' });
  const view = await api.settled(after);
  assert.equal(view.status, 'succeeded', JSON.stringify(view));
  assert.deepEqual((view.result as { greeting: string }).greeting, 'hello after');
});
