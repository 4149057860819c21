/**
 * The README's five-minute tour, with the real `fn` binary against a real `fn up`: init, deploy,
 * invoke (sync and async), status, logs, versions, rollback, ls, rm; and a redeploy that switches
 * traffic without dropping requests in flight.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type {
  DeployResponse,
  FunctionListResponse,
  InvocationView,
  VersionListResponse,
} from '../../core/api.ts';
import type { LogRecord } from '../../core/store.ts';
import { waitFor } from '../support/inbox.ts';
import { Api, readCredentials } from './support/api.ts';
import { runFn, runFnJson, startFn, type FnServer } from './support/fn-process.ts';

describe('the five-minute tour with the fn CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fjord-tour-'));
  let server: FnServer;
  let api: Api;
  const fn = (args: string[]) => runFn(args, { cwd: dir });
  const fnJson = <T>(args: string[]) => runFnJson<T>(args, { cwd: dir });

  before(async () => {
    // No --data-dir: like a user, fn up writes .fn/ here and the CLI finds it from here.
    server = await startFn(['up', '--port', '0', '--no-examples'], { cwd: dir });
    api = new Api(readCredentials(join(dir, '.fn', 'credentials.json')));
  });

  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('init, deploy and call an HTTP function', async () => {
    const init = await fn(['init', 'greet']);
    assert.equal(init.code, 0, init.stderr);
    const deployed = await fnJson<DeployResponse>(['deploy', 'greet']);
    assert.equal(deployed.function.version, 1);
    assert.equal(deployed.created, true);
    const response = await fetch(`${api.base}/fn/greet`);
    assert.equal(response.status, 200);

    writeFileSync(
      join(dir, 'greet', 'index.ts'),
      readFileSync(join(dir, 'greet', 'index.ts'), 'utf8') + '\nexport const revision = 2;\n',
    );
    const again = await fnJson<DeployResponse>(['deploy', 'greet']);
    assert.equal(again.function.version, 2);
    const versions = await fnJson<VersionListResponse>(['versions', 'greet']);
    assert.deepEqual(
      versions.versions.map((v) => [v.version, v.active]),
      [
        [1, false],
        [2, true],
      ],
    );
    const rolled = await fn(['rollback', 'greet']);
    assert.equal(rolled.code, 0, rolled.stderr);
    const list = await fnJson<FunctionListResponse>(['ls']);
    assert.equal(list.functions.find((f) => f.name === 'greet')?.version, 1);
  });

  test('event functions: invoke sync and async, status and logs', async () => {
    assert.equal((await fn(['init', 'job', '--template', 'event'])).code, 0);
    assert.equal((await fn(['deploy', 'job'])).code, 0);

    const sync = await fnJson<InvocationView>(['invoke', 'job', '--data', '{"name":"Ada"}']);
    assert.equal(sync.status, 'succeeded');
    assert.deepEqual(sync.result, { greeting: 'hello Ada' });

    const viaStdin = await runFn(['invoke', 'job', '--json'], {
      cwd: dir,
      input: '{"name":"Stdin"}',
    });
    assert.equal(viaStdin.code, 0, viaStdin.stderr);
    assert.deepEqual((JSON.parse(viaStdin.stdout) as InvocationView).result, {
      greeting: 'hello Stdin',
    });

    const accepted = await fnJson<{ id: string }>([
      'invoke',
      'job',
      '--data',
      '{"name":"Later"}',
      '--async',
    ]);
    const view = await waitFor(
      async () => {
        const v = await fnJson<InvocationView>(['status', accepted.id]);
        return v.status === 'succeeded' ? v : undefined;
      },
      { what: 'the async invocation to succeed', intervalMs: 100 },
    );
    assert.deepEqual(view.result, { greeting: 'hello Later' });

    // `fn logs --json` prints one JSON record per line, so it can follow without buffering.
    const logs = await fn(['logs', 'job', '--json']);
    assert.equal(logs.code, 0, logs.stderr);
    const records = logs.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as LogRecord);
    assert.ok(
      records.some((l) => l.invocationId === accepted.id),
      'fn logs shows the async invocation',
    );

    assert.equal((await fn(['rm', 'job'])).code, 0);
    const gone = await fn(['invoke', 'job', '--data', '{}']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /FUNCTION_NOT_FOUND/);
  });

  test('a deploy with a type error fails naming the file and line', async () => {
    assert.equal((await fn(['init', 'broken'])).code, 0);
    writeFileSync(
      join(dir, 'broken', 'index.ts'),
      'export default { fetch() { const n: number = "x"; return new Response(String(n)); } };\n',
    );
    const result = await fn(['deploy', 'broken']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /index\.ts:1:\d+/);
    assert.equal((await api.fetch('/v1/functions/broken')).status, 404, 'nothing was uploaded');
  });

  test('a redeploy switches traffic without dropping requests in flight', async () => {
    await api.deployFixture('rolling', 'slow-fetch', { env: { RELEASE: 'one' }, concurrency: 8 });
    // Accepted (202) before the redeploy, so these certainly run under version 1 while it happens.
    const accepted: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await fetch(`${api.base}/fn/rolling?ms=700`, {
        headers: { prefer: 'respond-async' },
      });
      assert.equal(r.status, 202);
      accepted.push(((await r.json()) as { id: string }).id);
    }
    const syncInFlight = Array.from({ length: 4 }, () => fetch(`${api.base}/fn/rolling?ms=700`));
    const v2 = await api.deployFixture('rolling', 'slow-fetch', {
      env: { RELEASE: 'two' },
      concurrency: 8,
    });
    assert.equal(v2.function.version, 2);

    const settled = await Promise.all(accepted.map((id) => api.settled(id)));
    assert.deepEqual(
      settled.map((v) => [v.status, v.version]),
      accepted.map(() => ['succeeded', 1]),
    );
    const sync = await Promise.all(syncInFlight);
    assert.deepEqual(
      sync.map((r) => r.status),
      sync.map(() => 200),
    );
    const fresh = await waitFor(async () => {
      const r = (await (await fetch(`${api.base}/fn/rolling`)).json()) as { release: string };
      return r.release === 'two' ? r : undefined;
    });
    assert.equal(fresh.release, 'two');
  });
});
