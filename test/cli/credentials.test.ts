import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_GATEWAY, resolveConnection } from '../../cli/credentials.ts';

let root: string;
/** A project with `fn up` credentials in .fn/, and a nested folder to run commands from. */
let project: string;
let nested: string;
/** A data dir given with --data-dir, and one given with FN_HOME. */
let dataDir: string;
let home: string;

async function credentials(dir: string, gateway: string, token: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'credentials.json'), JSON.stringify({ gateway, token }));
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'fjord-credentials-'));
  project = join(root, 'project');
  nested = join(project, 'functions', 'hello');
  await mkdir(nested, { recursive: true });
  await credentials(join(project, '.fn'), 'http://cwd:1', 'cwd-token');
  dataDir = join(root, 'data');
  await credentials(dataDir, 'http://data-dir:1', 'data-dir-token');
  home = join(root, 'home');
  await credentials(home, 'http://home:1', 'home-token');
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('resolveConnection', () => {
  it('takes flags first', () => {
    const env = { FN_GATEWAY: 'http://env:1', FN_TOKEN: 'env-token', FN_HOME: home };
    const flags = { gateway: 'http://flag:1/', token: 'flag-token', dataDir };
    assert.deepEqual(resolveConnection(flags, env, project), {
      gateway: 'http://flag:1',
      token: 'flag-token',
      credentialsPath: join(dataDir, 'credentials.json'),
    });
  });

  it('then FN_GATEWAY and FN_TOKEN', () => {
    const env = { FN_GATEWAY: 'http://env:1', FN_TOKEN: 'env-token', FN_HOME: home };
    const { gateway, token } = resolveConnection({}, env, project);
    assert.deepEqual({ gateway, token }, { gateway: 'http://env:1', token: 'env-token' });
  });

  it('then the credentials file in --data-dir, FN_HOME, then .fn/ here or above', () => {
    const pick = (flags: { dataDir?: string }, env: Record<string, string>, cwd: string) => {
      const { gateway, token } = resolveConnection(flags, env, cwd);
      return { gateway, token };
    };
    assert.deepEqual(pick({ dataDir }, { FN_HOME: home }, project), {
      gateway: 'http://data-dir:1',
      token: 'data-dir-token',
    });
    assert.deepEqual(pick({}, { FN_HOME: home }, project), {
      gateway: 'http://home:1',
      token: 'home-token',
    });
    assert.deepEqual(pick({}, {}, nested), { gateway: 'http://cwd:1', token: 'cwd-token' });
  });

  it('uses a token from the file only for the gateway the file names', () => {
    const elsewhere = resolveConnection({ gateway: 'http://other:1' }, {}, project);
    assert.equal(elsewhere.token, undefined);
    const same = resolveConnection({}, { FN_GATEWAY: 'http://cwd:1/' }, project);
    assert.equal(same.token, 'cwd-token');
  });

  it('falls back to the default gateway without a token', () => {
    assert.deepEqual(resolveConnection({}, { FN_HOME: join(root, 'none') }, root), {
      gateway: DEFAULT_GATEWAY,
    });
  });

  it('fails when --data-dir has no credentials, or the gateway is no URL', () => {
    assert.throws(
      () => resolveConnection({ dataDir: join(root, 'none') }, {}, root),
      /no credentials at/,
    );
    assert.throws(
      () => resolveConnection({ gateway: 'localhost:8080' }, {}, root),
      /must be an http:\/\/ or https:\/\/ URL/,
    );
  });
});
