/**
 * A 3-node RabbitMQ cluster on this host (issue 7): `fn gateway` and `fn node` get all three
 * nodes' URLs, and under async load the node holding the leader of the function's quorum queue is
 * killed with SIGKILL. Gateway and node move to another node, the queue elects a new leader, and
 * every invocation the gateway accepted (202) still reaches a final state; none is lost.
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
import { startRabbitMqCluster, type RabbitMqInstance } from './support/rabbitmq-instance.ts';

/** The node name of the leader of each quorum queue, by queue name, as `node` sees it. */
async function leaders(node: RabbitMqInstance): Promise<Map<string, string>> {
  const out = await node.ctl(['list_queues', 'name', 'type', 'leader', '--formatter', 'json']);
  const rows = JSON.parse(out) as { name: string; type: string; leader: string }[];
  return new Map(rows.filter((r) => r.type === 'quorum').map((r) => [r.name, r.leader]));
}

describe(
  'a 3-node RabbitMQ cluster losing the leader of a function queue',
  { timeout: 400_000 },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'fjord-cluster-'));
    const dataDir = join(dir, '.fn');
    const fn = `clustered-${randomBytes(3).toString('hex')}`;
    const servers: FnServer[] = [];
    let cluster: RabbitMqInstance[] = [];
    let api: Api;
    let gateway: FnServer;
    let node: FnServer;

    before(
      async () => {
        cluster = await startRabbitMqCluster(3);
        const urls = cluster.map((n) => n.url()).join(',');
        gateway = await startFn(
          ['gateway', '--port', '0', '--data-dir', dataDir, '--broker', urls],
          {
            cwd: dir,
            timeoutMs: 120_000,
          },
        );
        servers.push(gateway);
        api = new Api(readCredentials(join(dataDir, 'credentials.json')));
        const token = readFileSync(join(dataDir, 'node-token'), 'utf8').trim();
        node = await startFn(['node', '--broker', urls, '--gateway', api.base, '--token', token], {
          cwd: dir,
          timeoutMs: 120_000,
        });
        servers.push(node);
      },
      { timeout: 360_000 },
    );

    after(async () => {
      for (const server of servers) await server.stop('SIGKILL');
      await Promise.all(cluster.map((n) => n.destroy()));
      rmSync(dir, { recursive: true, force: true });
    });

    test('kill -9 of the leader under load: every accepted invocation ends, none is lost', async (t) => {
      await api.deployFixture(fn, 'sleep', { concurrency: 4 });
      const warm = await api.settled(await api.invokeAsync(fn, { ms: 0 }), 60_000);
      assert.equal(warm.status, 'succeeded');
      const queues = await leaders(cluster[0] as RabbitMqInstance);
      const queue = [...queues.keys()].find((name) => name.endsWith(`.fn.${fn}`));
      assert.ok(queue, `the function queue among ${[...queues.keys()].join(', ')}`);
      const victim = cluster.find((n) => n.node === queues.get(queue));
      assert.ok(victim, `its leader ${queues.get(queue)} is one of ours`);

      // Async load from 4 clients until told to stop; only a 202 counts as accepted.
      const accepted: string[] = [];
      const refused = new Map<string, number>();
      let loading = true;
      const client = async (): Promise<void> => {
        while (loading) {
          const status = await api
            .json<{ id: string }>(`/v1/functions/${fn}/invocations`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ ms: 20 }),
            })
            .then(({ status, body }) => {
              if (status === 202) accepted.push(body.id);
              return String(status);
            })
            .catch((error: unknown) => (error as Error).message);
          if (status !== '202') refused.set(status, (refused.get(status) ?? 0) + 1);
        }
      };
      const load = Promise.all(Array.from({ length: 4 }, client));

      await waitFor(() => accepted.length >= 40, { timeoutMs: 60_000, what: '40 accepted' });
      await victim.kill();
      const killedAt = accepted.length;
      // The gateway answers 202 again once it is connected to a surviving node and the queue has
      // a new leader; 40 more acceptances prove the cluster serves without the killed node.
      await waitFor(() => accepted.length >= killedAt + 40, {
        timeoutMs: 120_000,
        intervalMs: 100,
        what: `40 more accepted after the kill (refused so far: ${JSON.stringify([...refused])})`,
      });
      loading = false;
      await load;

      const survivor = cluster.find((n) => n !== victim) as RabbitMqInstance;
      const now = await leaders(survivor);
      assert.notEqual(now.get(queue), victim.node, 'a surviving node leads the queue');

      // One that never settles is shown as it stands, with its attempts.
      const views = await Promise.all(
        accepted.map((id) => api.settled(id, 180_000).catch(() => api.invocation(id))),
      );
      const unsettled = views.filter((v) => v.status !== 'succeeded');
      assert.deepEqual(
        unsettled.map((v) => [v.id, v.status, v.attempts, JSON.stringify(v.history)]),
        [],
        `every accepted invocation succeeded (killed at #${killedAt})`,
      );
      // Both processes were connected to the killed node (the first URL, where the gateway
      // declared the queue: RabbitMQ puts a new queue's leader on the declaring client's node) and
      // moved to a surviving one.
      for (const server of [gateway, node]) {
        const connected = [
          ...server.stderr().matchAll(/"url":"([^"]+)","msg":"connected to RabbitMQ"/g),
        ];
        assert.ok(connected.length >= 2, 'connected again after the kill');
        assert.notEqual(new URL(connected.at(-1)?.[1] ?? '').port, String(victim.port));
      }
      t.diagnostic(
        `accepted ${accepted.length}, refused ${JSON.stringify([...refused])}, ` +
          `ran twice ${views.filter((v) => v.attempts > 1).length}`,
      );
      // Runs cut by the kill ran again; nothing ran more than twice.
      assert.ok(
        views.every((v) => v.attempts <= 2),
        `attempts: ${JSON.stringify(views.filter((v) => v.attempts > 2).map((v) => v.attempts))}`,
      );
    });
  },
);
