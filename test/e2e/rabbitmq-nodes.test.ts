/**
 * `fn gateway` and two `fn node` processes on a real RabbitMQ: sync HTTP through the broker, two
 * nodes sharing one function's work, and kill -9 of a node mid-invocation losing nothing.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '../support/inbox.ts';
import { Api, readCredentials } from './support/api.ts';
import { startFn, type FnServer } from './support/fn-process.ts';
import { testVhost } from './support/rabbitmq.ts';

describe('fn gateway + fn node on RabbitMQ', () => {
  const AMQP_URL = testVhost();
  const dir = mkdtempSync(join(tmpdir(), 'fjord-rmq-'));
  const dataDir = join(dir, '.fn');
  const suffix = randomBytes(3).toString('hex');
  const servers: FnServer[] = [];
  let gateway: FnServer;
  let api: Api;
  let nodeToken: string;

  const startNode = async (): Promise<FnServer> => {
    const node = await startFn(
      ['node', '--broker', AMQP_URL, '--gateway', api.base, '--token', nodeToken],
      { cwd: dir },
    );
    servers.push(node);
    return node;
  };

  before(async () => {
    gateway = await startFn(
      ['gateway', '--port', '0', '--data-dir', dataDir, '--broker', AMQP_URL],
      { cwd: dir },
    );
    servers.push(gateway);
    api = new Api(readCredentials(join(dataDir, 'credentials.json')));
    nodeToken = readFileSync(join(dataDir, 'node-token'), 'utf8').trim();
  });

  after(async () => {
    // Delete through the gateway while it runs, so the test leaves no queues on the shared broker.
    for (const name of [`hello-${suffix}`, `sleepy-${suffix}`]) {
      await api?.fetch(`/v1/functions/${name}`, { method: 'DELETE' }).catch(() => undefined);
    }
    for (const s of servers) await s.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test('two nodes share the work, and kill -9 of one loses no accepted invocation', async () => {
    const a = await startNode();
    const b = await startNode();
    assert.notEqual(a.ready.node, b.ready.node);
    await waitFor(
      async () => (await api.json<{ nodes: { id: string }[] }>('/v1/nodes')).body.nodes.length >= 2,
      { what: 'both nodes in GET /v1/nodes' },
    );

    const hello = `hello-${suffix}`;
    await api.deployFixture(hello, 'hello');
    const response = await waitFor(
      async () => {
        const r = await fetch(`${api.base}/fn/${hello}`);
        return r.status === 201 ? r : undefined;
      },
      { what: 'a node to serve the new function' },
    );
    assert.equal(await response.text(), 'hello from fjord');

    const sleepy = `sleepy-${suffix}`;
    await api.deployFixture(sleepy, 'sleep', { concurrency: 1 });
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push(await api.invokeAsync(sleepy, { ms: 150 }));
    const views = await Promise.all(ids.map((id) => api.settled(id)));
    assert.ok(views.every((v) => v.status === 'succeeded'));
    assert.deepEqual(
      new Set(views.map((v) => v.node)),
      new Set([a.ready.node, b.ready.node]),
      'both nodes took work',
    );

    // Long sleeps so that an invocation seen running on `a` is still running when `a` dies.
    const more: string[] = [];
    for (let i = 0; i < 6; i++) more.push(await api.invokeAsync(sleepy, { ms: 1500 }));
    const onA = await waitFor(
      async () => {
        for (const id of more) {
          const v = await api.invocation(id);
          if (v.status === 'running' && v.node === a.ready.node) return id;
        }
        return undefined;
      },
      { what: 'an invocation running on node a', intervalMs: 5 },
    );
    await a.stop('SIGKILL');
    await startNode();
    const final = await Promise.all(more.map((id) => api.settled(id, 60_000)));
    assert.deepEqual(
      final.map((v) => v.status),
      more.map(() => 'succeeded'),
    );
    const cut = final.find((v) => v.id === onA);
    assert.ok(
      cut && cut.attempts >= 2 && cut.node !== a.ready.node,
      'the cut invocation ran again elsewhere',
    );
  });
});
