/**
 * Runtime nodes on other hosts: two `fn node` processes, each in a network namespace of its own
 * joined to this host by a veth pair, with RabbitMQ and `fn gateway` here. Under load one host is
 * cut off (its link goes down: no FIN, no RST, just silence); the broker notices through AMQP
 * heartbeats, its unacked invocations go to the other node, every accepted invocation ends
 * succeeded, and the gateway marks the silent node down.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { NodeListResponse, NodeView } from '../../core/api.ts';
import { waitFor } from '../support/inbox.ts';
import { Api, readCredentials } from './support/api.ts';
import { startFn, type FnServer } from './support/fn-process.ts';
import { createTestNetwork, remoteAmqpUser } from './support/netns.ts';
import { testVhost } from './support/rabbitmq.ts';

const INVOCATIONS = 24;
/** Long enough that what runs on the node when its link goes down is still running then. */
const SLEEP_MS = 2000;

// Three processes, two namespaces and a RabbitMQ user: more setup than most files on a busy machine.
describe('runtime nodes in network namespaces', { timeout: 240_000 }, () => {
  const amqpUrl = remoteAmqpUser(testVhost());
  const network = createTestNetwork(2);
  const dir = mkdtempSync(join(tmpdir(), 'fjord-netns-'));
  const dataDir = join(dir, '.fn');
  const sleepy = `sleepy-${randomBytes(3).toString('hex')}`;
  const servers: FnServer[] = [];
  let api: Api;

  /** The broker as a test host reaches it, with a 2 s AMQP heartbeat so a cut is seen fast. */
  const brokerFromHosts = (): string => {
    const url = new URL(amqpUrl);
    url.hostname = network.serviceAddress;
    url.searchParams.set('heartbeat', '2');
    return url.toString();
  };
  const nodeView = async (id: string): Promise<NodeView | undefined> =>
    (await api.json<NodeListResponse>('/v1/nodes')).body.nodes.find((n) => n.id === id);

  before(async () => {
    const gateway = await startFn(
      [
        'gateway',
        '--host',
        network.serviceAddress,
        '--port',
        '0',
        '--data-dir',
        dataDir,
        '--broker',
        amqpUrl,
      ],
      { cwd: dir },
    );
    servers.push(gateway);
    api = new Api(readCredentials(join(dataDir, 'credentials.json')));
  });

  after(async () => {
    // Nodes first: one of them is cut off, and the gateway's delete must not wait on it.
    for (const server of servers.slice(1).reverse()) await server.stop('SIGKILL');
    await api
      ?.fetch(`/v1/functions/${sleepy}`, { method: 'DELETE', signal: AbortSignal.timeout(20_000) })
      .catch(() => undefined);
    for (const server of servers) await server.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test('a node cut off mid-load loses nothing: its work runs on the other node', async () => {
    const token = readFileSync(join(dataDir, 'node-token'), 'utf8').trim();
    const nodes: FnServer[] = [];
    for (const host of network.hosts) {
      const node = await startFn(
        ['node', '--broker', brokerFromHosts(), '--gateway', api.base, '--token', token],
        { cwd: dir, prefix: host.prefix },
      );
      servers.push(node);
      nodes.push(node);
    }
    const [cutNode, keptNode] = nodes.map((n) => n.ready.node ?? assert.fail());
    assert.ok(cutNode && keptNode);
    await api.deployFixture(sleepy, 'sleep', { concurrency: 4 });
    for (const id of [cutNode, keptNode]) {
      await waitFor(async () => (await nodeView(id))?.functions.includes(sleepy), {
        what: `node ${id} to consume the function`,
        timeoutMs: 30_000,
      });
    }

    const accepted: string[] = [];
    for (let i = 0; i < INVOCATIONS; i++)
      accepted.push(await api.invokeAsync(sleepy, { ms: SLEEP_MS }));
    assert.equal(accepted.length, INVOCATIONS);
    await waitFor(
      async () => {
        for (const id of accepted) {
          const view = await api.invocation(id);
          if (view.status === 'running' && view.node === cutNode) return id;
        }
        return undefined;
      },
      { what: 'an invocation running on the node to cut', intervalMs: 5, timeoutMs: 30_000 },
    );
    network.hosts[0]?.cut();

    const final = await Promise.all(accepted.map((id) => api.settled(id, 100_000)));
    const counts = new Map<string, number>();
    for (const view of final) counts.set(view.status, (counts.get(view.status) ?? 0) + 1);
    assert.deepEqual(Object.fromEntries(counts), { succeeded: INVOCATIONS });
    // What the cut node was running never reported back: it ran again on the other node.
    const again = final.filter((view) => view.attempts >= 2);
    assert.ok(again.length >= 1, 'the cut node held work when its link went down');
    assert.deepEqual(
      again.map((view) => view.node),
      again.map(() => keptNode),
    );

    const down = await waitFor(
      async () => {
        const view = await nodeView(cutNode);
        return view?.state === 'down' ? view : undefined;
      },
      { what: 'the cut node to be marked down', timeoutMs: 60_000 },
    );
    assert.ok(down.lastSeenAgoMs >= 3 * (down.heartbeatMs ?? 5000));
    assert.equal((await nodeView(keptNode))?.state, 'running');
  });
});
