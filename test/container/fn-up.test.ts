/**
 * Container functions end to end: the real `fn up`, a function folder deployed with the real CLI
 * (its container prewarmed before the first invocation), HTTP invocations through the gateway and
 * the broker into a container, and `fn rm` removing the warm container. Then a node without a
 * Docker engine: container functions fail with CONTAINER_RUNTIME_UNAVAILABLE while isolate
 * functions on the same node keep working.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { DeployResponse } from '../../core/api.ts';
import { Api, readCredentials } from '../e2e/support/api.ts';
import { runFn, runFnJson, startFn, type FnServer } from '../e2e/support/fn-process.ts';
import { waitFor } from '../support/inbox.ts';
import { uniqueName } from '../support/fixtures.ts';
import { baseImage } from './support/container-fixtures.ts';
import { containersOf } from './support/docker-cli.ts';

const NODE_TYPES = fileURLToPath(new URL('../../node_modules/@types/node', import.meta.url));

const SOURCE = `import { createHash } from 'node:crypto';

export default {
  async fetch(request: Request, env: Record<string, string>): Promise<Response> {
    const body = Buffer.from(await request.arrayBuffer());
    return Response.json({
      sha256: createHash('sha256').update(body).digest('hex'),
      node: process.version,
      uid: process.getuid?.(),
      greeting: env.GREETING,
      path: new URL(request.url).pathname,
    });
  },
};
`;

/**
 * A container function folder as a user writes it, in a project with @types/node installed.
 */
function writeFunction(dir: string, name: string): string {
  const folder = join(dir, name);
  mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
  symlinkSync(NODE_TYPES, join(dir, 'node_modules', '@types', 'node'));
  mkdirSync(folder);
  writeFileSync(
    join(folder, 'fn.json'),
    JSON.stringify({ name, runtime: 'container', memoryMb: 128, env: { GREETING: 'hej' } }),
  );
  writeFileSync(join(folder, 'index.ts'), SOURCE);
  // TypeScript 6 includes no @types package unless named: the check reads .d.ts files beside the entry.
  writeFileSync(join(folder, 'node.d.ts'), '/// <reference types="node" />\n');
  return folder;
}

describe('container functions through fn up', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fjord-containers-'));
  const name = uniqueName('node-fn');
  let server: FnServer;
  let api: Api;

  before(async () => {
    await baseImage();
    server = await startFn(['up', '--port', '0', '--no-examples'], { cwd: dir });
    api = new Api(readCredentials(join(dir, '.fn', 'credentials.json')));
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('deploy with the CLI, invoke over HTTP, warm on the second call, removed by fn rm', async () => {
    writeFunction(dir, name);
    const deployed = await runFnJson<DeployResponse>(['deploy', name], { cwd: dir });
    assert.equal(deployed.function.version, 1);
    // The node prewarms a version it starts to follow: its container starts before any invocation.
    await waitFor(async () => (await containersOf(name)).length === 1, {
      timeoutMs: 30_000,
      what: 'the container prewarmed for the new version',
    });

    const body = Buffer.from('an upload of some bytes');
    const response = await fetch(`${api.base}/fn/${name}/resize/this`, { method: 'POST', body });
    const text = await response.text();
    assert.equal(response.status, 200, text);
    const seen = JSON.parse(text) as Record<string, unknown>;
    assert.deepEqual(seen, {
      sha256: createHash('sha256').update(body).digest('hex'),
      node: process.version,
      uid: 1000,
      greeting: 'hej',
      path: '/resize/this',
    });
    assert.equal((await containersOf(name)).length, 1);

    const accepted = await fetch(`${api.base}/fn/${name}/`, {
      method: 'POST',
      headers: { prefer: 'respond-async' },
      body: 'again',
    });
    assert.equal(accepted.status, 202);
    const { id } = (await accepted.json()) as { id: string };
    const view = await api.settled(id);
    assert.equal(view.status, 'succeeded');
    assert.equal(view.coldStart, false, 'the second invocation found the container warm');

    const removed = await runFn(['rm', name], { cwd: dir });
    assert.equal(removed.code, 0, removed.stderr);
    await waitFor(async () => (await containersOf(name)).length === 0, {
      timeoutMs: 15_000,
      what: 'the container of the deleted function to be removed',
    });
  });
});

describe('a node without a Docker engine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fjord-no-docker-'));
  let server: FnServer;
  let api: Api;

  before(async () => {
    server = await startFn(['up', '--port', '0', '--no-examples'], {
      cwd: dir,
      env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
    });
    api = new Api(readCredentials(join(dir, '.fn', 'credentials.json')));
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('starts, fails container functions with 503 CONTAINER_RUNTIME_UNAVAILABLE, runs isolates', async () => {
    const inContainer = uniqueName('boxed');
    const inIsolate = uniqueName('plain');
    await api.deployFixture(inContainer, 'hello', { runtime: 'container' });
    await api.deployFixture(inIsolate, 'hello');

    const failed = await fetch(`${api.base}/fn/${inContainer}`);
    assert.equal(failed.status, 503);
    const { error } = (await failed.json()) as { error: { code: string; message: string } };
    assert.equal(error.code, 'CONTAINER_RUNTIME_UNAVAILABLE');
    assert.match(error.message, /\/nonexistent\/docker\.sock/);

    const served = await fetch(`${api.base}/fn/${inIsolate}`);
    assert.equal(served.status, 201);
    assert.equal(await served.text(), 'hello from fjord');
  });
});
