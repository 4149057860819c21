/**
 * `fjord_node_up` end to end: `fn gateway` and a real `fn node` on RabbitMQ. The node's gauge is
 * 1 while it heartbeats and turns 0 once it missed three heartbeats after being killed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '../support/inbox.ts';
import { Api, readCredentials } from './support/api.ts';
import { startFn, type FnServer } from './support/fn-process.ts';
import { testVhost } from './support/rabbitmq.ts';

describe('fjord_node_up on RabbitMQ', { timeout: 120_000 }, () => {
  const AMQP_URL = testVhost();
  const dir = mkdtempSync(join(tmpdir(), 'fjord-node-up-'));
  const dataDir = join(dir, '.fn');
  const servers: FnServer[] = [];
  let api: Api;

  /** The value of `fjord_node_up` for node `id` on /metrics, undefined while it has none. */
  const nodeUp = async (id: string): Promise<number | undefined> => {
    const response = await api.fetch('/metrics');
    assert.equal(response.status, 200);
    const line = (await response.text())
      .split('\n')
      .find((l) => l.startsWith(`fjord_node_up{node="${id}",`));
    return line === undefined ? undefined : Number(line.split(' ').at(-1));
  };

  before(async () => {
    servers.push(
      await startFn(['gateway', '--port', '0', '--data-dir', dataDir, '--broker', AMQP_URL], {
        cwd: dir,
      }),
    );
    api = new Api(readCredentials(join(dataDir, 'credentials.json')));
  });

  after(async () => {
    for (const server of servers) await server.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test('a killed node goes from 1 to 0', async () => {
    const token = readFileSync(join(dataDir, 'node-token'), 'utf8').trim();
    const node = await startFn(
      ['node', '--broker', AMQP_URL, '--gateway', api.base, '--token', token],
      { cwd: dir },
    );
    servers.push(node);
    const id = node.ready.node ?? assert.fail('the node reports its id');
    await waitFor(async () => ((await nodeUp(id)) === 1 ? true : undefined), {
      what: `fjord_node_up{node="${id}"} 1`,
    });
    await node.stop('SIGKILL');
    // Down after three missed heartbeats (5 s each): 15 s after the last one.
    await waitFor(async () => ((await nodeUp(id)) === 0 ? true : undefined), {
      what: `fjord_node_up{node="${id}"} 0`,
      timeoutMs: 60_000,
    });
  });
});
