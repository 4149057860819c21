/**
 * Secrets end to end on `fn up` (started from a config file): set from stdin with the real CLI,
 * delivered only to the function that declares them, rotated for the next invocation, and
 * absent from API responses, CLI output, logs and the store's files.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ErrorBody } from '../../core/api.ts';
import { waitFor } from '../support/inbox.ts';
import { Api, readCredentials } from './support/api.ts';
import { runFn, startFn, type FnServer } from './support/fn-process.ts';

interface Probe {
  keys: string[];
  length: number | null;
  sha256: string | null;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('secrets on fn up', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fjord-secrets-'));
  const dataDir = join(dir, 'state');
  const suffix = randomBytes(3).toString('hex');
  const VALUE_1 = `first-${randomBytes(12).toString('hex')}`;
  const VALUE_2 = `second-${randomBytes(12).toString('hex')}`;
  const OTHER = `other-${randomBytes(12).toString('hex')}`;
  const declaring = `probe-${suffix}`;
  const plain = `plain-${suffix}`;
  const unset = `unset-${suffix}`;
  let server: FnServer;
  let api: Api;
  /** Everything the processes and the API showed, checked for values at the end. */
  const shown: string[] = [];

  const start = async (env: Record<string, string> = {}): Promise<void> => {
    // Debug logs: the most it writes, so the most a value could slip into.
    server = await startFn(['up', '--config', join(dir, 'fjord.json')], {
      cwd: dir,
      env: { FN_LOG_LEVEL: 'debug', ...env },
    });
    api = new Api(readCredentials(join(dataDir, 'credentials.json')));
  };
  const stop = async (): Promise<void> => {
    await server.stop();
    shown.push(server.stderr());
  };
  const fn = async (args: string[], input?: string) => {
    const result = await runFn(args, {
      cwd: dir,
      env: { FN_HOME: dataDir },
      ...(input === undefined ? {} : { input }),
    });
    shown.push(result.stdout, result.stderr);
    return result;
  };
  const setSecret = async (name: string, key: string, value: string): Promise<void> => {
    const result = await fn(['secret', 'set', name, key], `${value}\n`);
    assert.equal(result.code, 0, result.stderr);
  };
  const probe = async (name: string): Promise<Probe> => {
    const response = await fetch(`${api.base}/fn/${name}`);
    const text = await response.text();
    assert.equal(response.status, 200, text);
    return JSON.parse(text) as Probe;
  };
  const failure = async (name: string): Promise<{ status: number; body: ErrorBody }> => {
    const response = await fetch(`${api.base}/fn/${name}`);
    const text = await response.text();
    shown.push(text);
    return { status: response.status, body: JSON.parse(text) as ErrorBody };
  };

  before(async () => {
    writeFileSync(
      join(dir, 'fjord.json'),
      JSON.stringify({ port: 0, dataDir: 'state', examples: false }),
    );
    await start();
  });

  after(async () => {
    await server?.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test('fn up made its key file, readable by its owner only', () => {
    assert.equal(statSync(join(dataDir, 'secrets.key')).mode & 0o777, 0o600);
  });

  test('only the declaring function sees the secret, and a rotation reaches the next call', async () => {
    await setSecret(declaring, 'API_KEY', VALUE_1);
    await setSecret(declaring, 'OTHER', OTHER);
    await setSecret(plain, 'API_KEY', VALUE_1);
    await api.deployFixture(declaring, 'secret-probe', { secrets: ['API_KEY'] });
    await api.deployFixture(plain, 'secret-probe');

    assert.deepEqual(await probe(declaring), {
      keys: ['API_KEY'],
      length: VALUE_1.length,
      sha256: sha256(VALUE_1),
    });
    assert.deepEqual(await probe(plain), { keys: [], length: null, sha256: null });

    await setSecret(declaring, 'API_KEY', VALUE_2);
    assert.equal((await probe(declaring)).sha256, sha256(VALUE_2));

    const ls = await fn(['secret', 'ls', declaring]);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /^KEY +UPDATED\nAPI_KEY +\S+Z\nOTHER +\S+Z\n$/);
  });

  test('a declared secret that is not set fails with SECRET_NOT_SET until it is set', async () => {
    await api.deployFixture(unset, 'secret-probe', { secrets: ['API_KEY'] });
    const { status, body } = await waitFor(
      async () => {
        const answer = await failure(unset);
        return answer.body.error.code === 'SECRET_NOT_SET' ? answer : undefined;
      },
      { what: 'the unset secret to be reported' },
    );
    assert.equal(status, 503);
    assert.match(body.error.message, new RegExp(`fn secret set ${unset} API_KEY`));
    await setSecret(unset, 'API_KEY', VALUE_1);
    assert.equal((await probe(unset)).sha256, sha256(VALUE_1));
  });

  test('no API response or CLI output shows a value; nodes alone read them', async () => {
    for (const path of [
      '/v1/functions',
      `/v1/functions/${declaring}`,
      `/v1/functions/${declaring}/versions`,
      `/v1/functions/${declaring}/secrets`,
      `/v1/functions/${declaring}/logs`,
      '/v1/overview',
    ]) {
      const response = await api.fetch(path);
      assert.equal(response.status, 200, path);
      shown.push(await response.text());
    }
    const values = await api.fetch(`/v1/functions/${declaring}/versions/1/secret-values`);
    assert.equal(values.status, 403, 'an admin token does not read values');
    shown.push(await values.text());
    const broken = await api.fetch(`/v1/functions/${declaring}/secrets/API_KEY`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: `{"value": "${VALUE_1}"`,
    });
    assert.equal(broken.status, 400);
    shown.push(await broken.text());
    for (const args of [['ls'], ['ls', '--json'], ['secret', 'ls', declaring, '--json']]) {
      assert.equal((await fn(args)).code, 0);
    }
  });

  test('another key cannot open them: SECRET_DECRYPT_FAILED says what to do', async () => {
    await stop();
    await start({ FN_SECRETS_KEY: randomBytes(32).toString('base64') });
    const { status, body } = await waitFor(
      async () => {
        const answer = await failure(declaring);
        return answer.body.error.code === 'SECRET_DECRYPT_FAILED' ? answer : undefined;
      },
      { what: 'the wrong key to be reported' },
    );
    assert.equal(status, 503);
    assert.match(body.error.message, /FN_SECRETS_KEY/);
    await stop();
  });

  test('values never reached the logs, the outputs above, or the store in clear', () => {
    const everything = shown.join('\n');
    assert.match(everything, /gateway recording results/, 'the logs were captured');
    for (const value of [VALUE_1, VALUE_2, OTHER]) {
      assert.ok(!everything.includes(value), 'a value was shown');
      for (const file of readdirSync(dataDir)) {
        const path = join(dataDir, file);
        if (!statSync(path).isFile()) continue;
        assert.ok(!readFileSync(path).toString('latin1').includes(value), `${file} holds a value`);
      }
    }
  });
});
