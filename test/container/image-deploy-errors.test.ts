/**
 * What `fn deploy` of a container function with its own image says when it cannot finish: no
 * Docker engine on the deploying host, a Dockerfile that fails to build, an image larger than the
 * gateway takes. The real CLI against a real gateway (in this process, with a small image limit).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ImageStore } from '../../gateway/image-store.ts';
import { runFn } from '../e2e/support/fn-process.ts';
import { startHarness } from '../gateway/harness.ts';
import { uniqueName } from '../support/fixtures.ts';
import { baseImage } from './support/container-fixtures.ts';
import { docker } from './support/docker-cli.ts';

const SOURCE = 'export default { fetch: () => new Response("hi") };\n';

/** A container function folder with its own Dockerfile (`lines` after FROM). */
function writeFunction(dir: string, name: string, lines: string[]): string {
  const folder = join(dir, name);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'fn.json'), JSON.stringify({ name, runtime: 'container' }));
  writeFileSync(join(folder, 'index.ts'), SOURCE);
  const dockerfile = ['ARG BASE_IMAGE', 'FROM ${BASE_IMAGE}', ...lines].join('\n');
  writeFileSync(join(folder, 'Dockerfile'), `${dockerfile}\n`);
  return folder;
}

/** `fn deploy FOLDER --json` against the harness gateway: the error it prints on stdout. */
async function deployFails(
  folder: string,
  gateway: { url: string; token: string },
  env: Record<string, string> = {},
): Promise<{ code: string; message: string; hint?: string }> {
  const result = await runFn(
    [
      'deploy',
      folder,
      '--no-typecheck',
      '--json',
      '--gateway',
      gateway.url,
      '--token',
      gateway.token,
    ],
    { cwd: folder, env },
  );
  assert.equal(result.code, 1, `fn deploy should fail:\n${result.stderr}\n${result.stdout}`);
  const json = result.stdout.split('\n').find((line) => line.startsWith('{"error"'));
  assert.ok(json, `no JSON error on stdout:\n${result.stderr}\n${result.stdout}`);
  return (JSON.parse(json) as { error: { code: string; message: string; hint?: string } }).error;
}

test('fn deploy of an image function: no Docker engine, a failing build, an image too large', async (t) => {
  await baseImage();
  const dir = mkdtempSync(join(tmpdir(), 'fjord-image-errors-'));
  const imagesDir = join(dir, 'images');
  mkdirSync(imagesDir);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const h = await startHarness(t, {
    images: new ImageStore({ dir: imagesDir, maxBytes: 1024 * 1024 }),
  });
  const gateway = { url: h.url, token: h.tokens.deploy };

  await t.test(
    'no Docker engine on the deploying host: DOCKER_UNAVAILABLE with a hint',
    async () => {
      const folder = writeFunction(dir, uniqueName('no-docker'), []);
      const error = await deployFails(folder, gateway, {
        DOCKER_HOST: `unix://${join(dir, 'no-such-docker.sock')}`,
      });
      assert.equal(error.code, 'DOCKER_UNAVAILABLE');
      assert.match(error.message, /no Docker engine answers/);
      assert.match(error.hint ?? '', /dockerd/);
    },
  );

  await t.test(
    'a Dockerfile that fails: IMAGE_BUILD_FAILED with the end of the build output',
    async () => {
      const folder = writeFunction(dir, uniqueName('broken-build'), [
        'RUN echo fjord-build-went-wrong && exit 3',
      ]);
      const error = await deployFails(folder, gateway);
      assert.equal(error.code, 'IMAGE_BUILD_FAILED');
      assert.match(error.message, /docker build of .* failed/);
      assert.match(error.message, /fjord-build-went-wrong/);
    },
  );

  await t.test('an image over the gateway limit: PAYLOAD_TOO_LARGE, nothing deployed', async () => {
    const name = uniqueName('too-big');
    // A label of its own: a fresh image id, so no other test shares (and removes) it.
    const folder = writeFunction(dir, name, [`LABEL fjord.test=${name}`]);
    t.after(async () => {
      for (const tag of (await docker('images', '--format', '{{.Repository}}:{{.Tag}}')).split(
        '\n',
      )) {
        if (tag.startsWith(`fjord-fn/${name}:`)) await docker('rmi', tag).catch(() => undefined);
      }
    });
    const error = await deployFails(folder, gateway);
    assert.equal(error.code, 'PAYLOAD_TOO_LARGE');
    assert.match(error.message, /larger than this gateway takes \(1048576 bytes\)/);
    const fn = await h.request(`/v1/functions/${name}`, { token: 'deploy' });
    assert.equal(fn.status, 404);
    assert.deepEqual(readdirSync(imagesDir), [], 'no partial upload left on the gateway');
  });
});
