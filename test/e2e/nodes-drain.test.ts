/**
 * `fn node drain` end to end: `fn gateway` and two `fn node` processes on RabbitMQ. A node
 * drained mid-load finishes what it runs, new invocations all go to the other node, `fn nodes`
 * shows it draining then drained, and `fn node undrain` gives it work again.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { NodeDrainResponse, NodeListResponse, NodeView } from '../../core/api.ts';
import { waitFor } from '../support/inbox.ts';
import { Api, readCredentials } from './support/api.ts';
import { runFn, runFnJson, startFn, type FnServer } from './support/fn-process.ts';
import { testVhost } from './support/rabbitmq.ts';

// Four processes and a dozen CLI runs: roomier than the default on a busy machine.
describe('fn node drain on RabbitMQ', { timeout: 240_000 }, () => {
  const AMQP_URL = testVhost();
  const dir = mkdtempSync(join(tmpdir(), 'fjord-drain-'));
  const dataDir = join(dir, '.fn');
  const sleepy = `sleepy-${randomBytes(3).toString('hex')}`;
  const servers: FnServer[] = [];
  let api: Api;
  let nodeToken: string;
  const cli = { cwd: dir, env: { FN_HOME: dataDir } };

  const startNode = async (...flags: string[]): Promise<FnServer> => {
    const node = await startFn(
      ['node', '--broker', AMQP_URL, '--gateway', api.base, '--token', nodeToken, ...flags],
      { cwd: dir },
    );
    servers.push(node);
    return node;
  };
  const nodeView = async (id: string): Promise<NodeView | undefined> =>
    (await api.json<NodeListResponse>('/v1/nodes')).body.nodes.find((n) => n.id === id);
  const waitForState = (id: string, states: NodeView['state'][]): Promise<NodeView> =>
    waitFor(
      async () => {
        const view = await nodeView(id);
        return view !== undefined && states.includes(view.state) ? view : undefined;
      },
      { what: `node ${id} to be ${states.join(' or ')}`, timeoutMs: 30_000 },
    );

  before(async () => {
    servers.push(
      await startFn(['gateway', '--port', '0', '--data-dir', dataDir, '--broker', AMQP_URL], {
        cwd: dir,
      }),
    );
    api = new Api(readCredentials(join(dataDir, 'credentials.json')));
    nodeToken = readFileSync(join(dataDir, 'node-token'), 'utf8').trim();
  });

  after(async () => {
    await api?.fetch(`/v1/functions/${sleepy}`, { method: 'DELETE' }).catch(() => undefined);
    for (const server of servers) await server.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test('a node drained mid-load finishes its work, and new work goes to the other node', async () => {
    const a = await startNode();
    const b = await startNode();
    const idA = a.ready.node ?? assert.fail();
    const idB = b.ready.node ?? assert.fail();
    await waitForState(idA, ['running']);
    await waitForState(idB, ['running']);
    await api.deployFixture(sleepy, 'sleep', { concurrency: 2 });
    await waitFor(async () => (await nodeView(idA))?.functions.includes(sleepy), {
      what: 'node a to consume the function',
    });
    await waitFor(async () => (await nodeView(idB))?.functions.includes(sleepy), {
      what: 'node b to consume the function',
    });

    // Long enough that what runs on `a` when the drain arrives is still running when we look.
    const before: string[] = [];
    for (let i = 0; i < 10; i++) before.push(await api.invokeAsync(sleepy, { ms: 3000 }));
    const onA = await waitFor(
      async () => {
        for (const id of before) {
          const view = await api.invocation(id);
          if (view.status === 'running' && view.node === idA) return id;
        }
        return undefined;
      },
      { what: 'an invocation running on node a', intervalMs: 10 },
    );

    // Through the API, not the CLI: a process start on a busy machine could outlast the work.
    const drained = await api.json<NodeDrainResponse>(`/v1/nodes/${idA}/drain`, {
      method: 'POST',
    });
    assert.equal(drained.status, 202);
    assert.deepEqual(drained.body, { nodes: [idA], drain: true });
    const draining = await waitForState(idA, ['draining']);
    assert.ok(draining.inflight >= 1, 'the node reports the work it still runs');
    assert.equal(draining.capacity, 0);

    const afterDrain: string[] = [];
    for (let i = 0; i < 6; i++) afterDrain.push(await api.invokeAsync(sleepy, { ms: 50 }));
    const late = await Promise.all(afterDrain.map((id) => api.settled(id, 90_000)));
    assert.deepEqual(
      late.map((v) => [v.status, v.node]),
      late.map(() => ['succeeded', idB]),
      'invocations accepted after the drain run on the other node only',
    );
    const early = await Promise.all(before.map((id) => api.settled(id, 90_000)));
    assert.deepEqual(
      early.map((v) => v.status),
      before.map(() => 'succeeded'),
    );
    const finishedOnA = early.find((v) => v.id === onA);
    assert.equal(finishedOnA?.node, idA, 'in-flight work finished on the drained node');
    assert.equal(finishedOnA?.attempts, 1, 'and was not redelivered');

    await waitForState(idA, ['drained']);
    const table = await runFn(['nodes'], cli);
    assert.equal(table.code, 0, table.stderr);
    const rowA = table.stdout.split('\n').find((line) => line.startsWith(idA));
    assert.match(rowA ?? '', /\bdrained\b.*\b0\/0\b/, table.stdout);
    assert.match(table.stdout, /^NODE +HOST +STATE +IN FLIGHT +LOAD +WARM/);

    const undrained = await runFn(['node', 'undrain', idA], cli);
    assert.equal(undrained.code, 0, undrained.stderr);
    const back = await waitForState(idA, ['running']);
    assert.deepEqual(back.functions, [sleepy]);
    assert.equal(back.capacity, 2);
  });

  test('a node started with --exit-when-drained exits once drained; unknown names are refused', async () => {
    const c = await startNode('--exit-when-drained');
    const idC = c.ready.node ?? assert.fail();
    await waitForState(idC, ['running']);
    const exited = new Promise<number | null>((resolve) => c.child.once('exit', resolve));
    const drain = await runFnJson<NodeListResponse>(['node', 'drain', idC, '--wait'], cli);
    assert.deepEqual(
      drain.nodes.map((n) => [n.id, n.state]),
      [[idC, 'drained']],
    );
    assert.equal(await exited, 0, c.stderr());

    const unknown = await runFn(['node', 'drain', 'no-such-node', '--json'], cli);
    assert.equal(unknown.code, 1);
    assert.equal(
      (JSON.parse(unknown.stdout) as { error: { code: string } }).error.code,
      'NODE_NOT_FOUND',
    );
  });
});
