import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { applyConfig, readConfigFile } from '../../server/config-file.ts';
import { runFn } from '../e2e/support/fn-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'fjord-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const UP_FLAGS = ['port', 'host', 'data-dir', 'store', 'broker', 'examples', 'secrets-key-file'];

describe('config file', () => {
  test('precedence: flag, then environment, then file, then nothing (the default)', async () => {
    const config = file('precedence.json', { port: 3, host: '10.0.0.3' });
    const env = { FN_PORT: '2' };
    type Values = { config?: string; port?: string; host?: string };
    const apply = (values: Values, environment: Record<string, string>) =>
      applyConfig<Values>({ ...values, config }, UP_FLAGS, environment, dir);
    assert.equal((await apply({ port: '1' }, env)).port, '1');
    assert.equal((await apply({}, env)).port, '2');
    assert.equal((await apply({}, {})).port, '3');
    assert.equal((await apply({}, {})).host, '10.0.0.3');
    const none = await applyConfig({}, UP_FLAGS, {}, dir);
    assert.equal((none as { port?: string }).port, undefined);
  });

  test('FN_CONFIG names the file when --config does not; relative paths are the file’s', async () => {
    const config = file('paths.json', {
      dataDir: 'state',
      store: 'postgres://db/fjord',
      secretsKeyFile: '/etc/fjord/secrets.key',
      examples: false,
    });
    const values = await applyConfig({}, UP_FLAGS, { FN_CONFIG: 'paths.json' }, dir);
    assert.deepEqual(values, {
      'data-dir': join(dir, 'state'),
      store: 'postgres://db/fjord',
      'secrets-key-file': '/etc/fjord/secrets.key',
      examples: false,
    });
    assert.ok(config.endsWith('paths.json'));
  });

  test('rate limits take a number or "N:BURST", as their flags do', async () => {
    const config = file('limits.json', { tokenRateLimit: '100:200', functionRateLimit: 50 });
    const flags = ['token-rate-limit', 'function-rate-limit', 'max-queued'];
    const values = await applyConfig({ config }, flags, { FN_MAX_QUEUED: '7' }, dir);
    assert.deepEqual(values, {
      config,
      'token-rate-limit': '100:200',
      'function-rate-limit': '50',
      'max-queued': '7',
    });
  });

  test('exitWhenDrained stands for fn node --exit-when-drained; the flag given wins', async () => {
    const config = file('drain.json', { exitWhenDrained: true, port: 9 });
    const flags = ['broker', 'exit-when-drained'];
    type Values = { config?: string; 'exit-when-drained'?: boolean };
    assert.deepEqual(await applyConfig<Values>({ config }, flags, {}, dir), {
      config,
      'exit-when-drained': true,
    });
    const off = file('no-drain.json', { exitWhenDrained: false });
    assert.equal(
      (await applyConfig<Values>({ config: off }, flags, {}, dir))['exit-when-drained'],
      false,
    );
    const given = await applyConfig<Values>(
      { config: off, 'exit-when-drained': true },
      flags,
      {},
      dir,
    );
    assert.equal(given['exit-when-drained'], true);
    await assert.rejects(readConfigFile(file('drain-bad.json', { exitWhenDrained: 'yes' })), {
      message: /key "exitWhenDrained" must be boolean/,
    });
  });

  test('FN_SECRETS_KEY wins over the file’s key file; keys of other commands are ignored', async () => {
    const config = file('node.json', { secretsKeyFile: 'k', token: 'node-token', port: 9 });
    const values = await applyConfig(
      { config },
      ['port', 'secrets-key-file'],
      { FN_SECRETS_KEY: 'a2V5' },
      dir,
    );
    assert.deepEqual(values, { config, port: '9' });
  });

  test('an unknown key is refused, naming the key and the file (exit code 2)', async () => {
    const config = file('unknown.json', { port: 8080, prot: 8081 });
    await assert.rejects(readConfigFile(config), (error: Error & Record<string, unknown>) => {
      assert.equal(error.code, 'INVALID_CONFIG');
      assert.equal(error.exitCode, 2);
      assert.match(error.message, new RegExp(`config file ${config}: unknown key "prot"`));
      return true;
    });
  });

  test('wrong types, bad values and broken JSON name what is wrong', async () => {
    const cases: [unknown, RegExp][] = [
      [{ port: '8080' }, /key "port" must be integer/],
      [{ port: 70000 }, /key "port" must be <= 65535/],
      [{ isolateHost: 'thread' }, /key "isolateHost" must be one of "process", "inline"/],
      [{ broker: 'http://rabbit' }, /key "broker" must match pattern/],
      [{ tokenRateLimit: 'fast' }, /key "tokenRateLimit" must match pattern/],
      [{ maxQueued: -1 }, /key "maxQueued" must be >= 0/],
      [[1], /must be a JSON object/],
      ['{"port": 80,}', /not valid JSON/],
    ];
    for (const [content, message] of cases) {
      const config = file('bad.json', content);
      await assert.rejects(readConfigFile(config), { code: 'INVALID_CONFIG', message });
    }
    await assert.rejects(readConfigFile(join(dir, 'missing.json')), {
      code: 'INVALID_CONFIG',
      message: /missing\.json: cannot read it/,
    });
  });

  test('fn up with an invalid file exits 2 before starting anything, saying why', async () => {
    const config = file('typo.json', { port: 0, dataDir: 'never-made', exampels: false });
    const result = await runFn(['up', '--config', config], { cwd: dir });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /error: config file .*typo\.json: unknown key "exampels"/);
    assert.match(result.stderr, /INVALID_CONFIG/);
    assert.equal(result.stdout, '');
  });
});
