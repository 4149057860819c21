/**
 * Secrets across hosts: `fn gateway` (key from FN_SECRETS_KEY) and a `fn node` that holds no
 * key and fetches the values its functions declare from the gateway with its node token. The
 * values never travel on RabbitMQ and never show in either process's logs.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { SecretValuesResponse } from '../../core/api.ts';
import { waitFor } from '../support/inbox.ts';
import { Api, readCredentials } from './support/api.ts';
import { startFn, type FnServer } from './support/fn-process.ts';
import { testVhost } from './support/rabbitmq.ts';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('secrets with fn gateway + fn node on RabbitMQ', () => {
  const AMQP_URL = testVhost();
  const dir = mkdtempSync(join(tmpdir(), 'fjord-secrets-rmq-'));
  const dataDir = join(dir, '.fn');
  const suffix = randomBytes(3).toString('hex');
  const declaring = `probe-${suffix}`;
  const plain = `plain-${suffix}`;
  const VALUE_1 = `first-${randomBytes(12).toString('hex')}`;
  const VALUE_2 = `second-${randomBytes(12).toString('hex')}`;
  const servers: FnServer[] = [];
  let api: Api;
  let nodeToken: string;

  const setSecret = async (name: string, key: string, value: string): Promise<void> => {
    const response = await api.fetch(`/v1/functions/${name}/secrets/${key}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value }),
    });
    assert.equal(response.status, 200, await response.text());
  };
  const probe = async (name: string): Promise<{ keys: string[]; sha256: string | null }> => {
    const response = await fetch(`${api.base}/fn/${name}`);
    const text = await response.text();
    assert.equal(response.status, 200, text);
    return JSON.parse(text) as { keys: string[]; sha256: string | null };
  };

  before(async () => {
    // Debug logs: the most a process writes, so the most a value could slip into.
    const key = { FN_SECRETS_KEY: randomBytes(32).toString('base64'), FN_LOG_LEVEL: 'debug' };
    servers.push(
      await startFn(['gateway', '--port', '0', '--data-dir', dataDir, '--broker', AMQP_URL], {
        cwd: dir,
        env: key,
      }),
    );
    api = new Api(readCredentials(join(dataDir, 'credentials.json')));
    nodeToken = readFileSync(join(dataDir, 'node-token'), 'utf8').trim();
    servers.push(
      await startFn(['node', '--broker', AMQP_URL, '--gateway', api.base, '--token', nodeToken], {
        cwd: dir,
        env: { FN_LOG_LEVEL: 'debug' },
      }),
    );
  });

  after(async () => {
    // Delete through the gateway while it runs, so the test leaves no queues on the shared broker.
    for (const name of [declaring, plain]) {
      await api?.fetch(`/v1/functions/${name}`, { method: 'DELETE' }).catch(() => undefined);
    }
    for (const server of servers) await server.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test('a remote node gets declared secrets from the gateway, rotations included', async () => {
    await setSecret(declaring, 'API_KEY', VALUE_1);
    await setSecret(declaring, 'UNDECLARED', VALUE_2);
    await setSecret(plain, 'API_KEY', VALUE_1);
    await api.deployFixture(declaring, 'secret-probe', { secrets: ['API_KEY'] });
    await api.deployFixture(plain, 'secret-probe');
    const first = await waitFor(
      async () => {
        const response = await fetch(`${api.base}/fn/${declaring}`);
        return response.status === 200
          ? ((await response.json()) as { sha256: string })
          : undefined;
      },
      { what: 'the node to serve the new function' },
    );
    assert.equal(first.sha256, sha256(VALUE_1));
    assert.deepEqual((await probe(plain)).keys, []);
    await setSecret(declaring, 'API_KEY', VALUE_2);
    assert.equal((await probe(declaring)).sha256, sha256(VALUE_2));
  });

  test('the node route gives a node token only what the version declares', async () => {
    const path = `/v1/functions/${declaring}/versions/1/secret-values`;
    const asNode = await fetch(api.base + path, {
      headers: { authorization: `Bearer ${nodeToken}` },
    });
    assert.equal(asNode.status, 200);
    assert.equal(asNode.headers.get('cache-control'), 'no-store');
    assert.deepEqual(((await asNode.json()) as SecretValuesResponse).values, { API_KEY: VALUE_2 });
    const unknown = await fetch(`${api.base}/v1/functions/${declaring}/versions/9/secret-values`, {
      headers: { authorization: `Bearer ${nodeToken}` },
    });
    assert.equal(unknown.status, 404);
    assert.equal((await api.fetch(path)).status, 403, 'not even an admin token');
  });

  test('neither the gateway nor the node logged a value', () => {
    for (const server of servers) {
      const logs = server.stderr();
      assert.ok(logs.length > 0, 'the logs were captured');
      for (const value of [VALUE_1, VALUE_2])
        assert.ok(!logs.includes(value), 'a value was logged');
    }
  });
});
