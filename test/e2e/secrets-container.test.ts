/**
 * Secrets reach container functions as they reach isolates: `env.KEY` when declared, a new value
 * on the next call after a rotation (the warm container loaded with the old one is retired).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '../support/inbox.ts';
import { Api, readCredentials } from './support/api.ts';
import { startFn, type FnServer } from './support/fn-process.ts';

interface Probe {
  keys: string[];
  length: number | null;
  sha256: string | null;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('secrets in container functions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fjord-secrets-ctr-'));
  const dataDir = join(dir, '.fn');
  const name = `ctr-probe-${randomBytes(3).toString('hex')}`;
  const VALUE_1 = `first-${randomBytes(12).toString('hex')}`;
  const VALUE_2 = `second-${randomBytes(12).toString('hex')}`;
  let server: FnServer;
  let api: Api;

  const setSecret = async (value: string): Promise<void> => {
    const response = await api.fetch(`/v1/functions/${name}/secrets/API_KEY`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value }),
    });
    assert.equal(response.status, 200, await response.text());
  };
  const probe = async (): Promise<Probe> => {
    const response = await fetch(`${api.base}/fn/${name}`);
    const text = await response.text();
    assert.equal(response.status, 200, text);
    return JSON.parse(text) as Probe;
  };

  before(async () => {
    server = await startFn(['up', '--port', '0', '--no-examples', '--data-dir', dataDir], {
      cwd: dir,
      env: { FN_LOG_LEVEL: 'debug' },
    });
    api = new Api(readCredentials(join(dataDir, 'credentials.json')));
  });

  after(async () => {
    // Removing the function removes its warm container too.
    await api?.fetch(`/v1/functions/${name}`, { method: 'DELETE' }).catch(() => undefined);
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a container function gets its declared secret, and the rotated one next', async () => {
    await setSecret(VALUE_1);
    await api.deployFixture(name, 'secret-probe', { runtime: 'container', secrets: ['API_KEY'] });
    const first = await waitFor(
      async () => {
        const response = await fetch(`${api.base}/fn/${name}`);
        return response.status === 200 ? ((await response.json()) as Probe) : undefined;
      },
      { timeoutMs: 120_000, what: 'the container function to answer' },
    );
    assert.deepEqual(first, { keys: ['API_KEY'], length: VALUE_1.length, sha256: sha256(VALUE_1) });
    await setSecret(VALUE_2);
    assert.equal((await probe()).sha256, sha256(VALUE_2));
    const logs = server.stderr();
    for (const value of [VALUE_1, VALUE_2]) assert.ok(!logs.includes(value), 'a value was logged');
  });
});
