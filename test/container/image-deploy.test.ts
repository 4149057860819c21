/**
 * Per-function images end to end, without a registry: `fn gateway` and `fn node` on RabbitMQ,
 * functions/thumbnail deployed through the real CLI (npm ci on the host, sharp left out of the
 * bundle, image built, saved and uploaded to the gateway), a PNG resized through HTTP. Then the
 * image is removed from the host and a second node loads it from the gateway on first use, once
 * for several concurrent cold starts. Plus what a node says when an image cannot be had.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { DeployResponse, FunctionView } from '../../core/api.ts';
import { Api, readCredentials } from '../e2e/support/api.ts';
import { runFnJson, startFn, type FnServer } from '../e2e/support/fn-process.ts';
import { testVhost } from '../e2e/support/rabbitmq.ts';
import { uniqueName } from '../support/fixtures.ts';
import { baseImage } from './support/container-fixtures.ts';
import { docker } from './support/docker-cli.ts';
import { pngSize } from './support/png.ts';

const THUMBNAIL = fileURLToPath(new URL('../../functions/thumbnail/', import.meta.url));

interface DeployWithImage extends DeployResponse {
  image: { image: string; imageSha: string; size: number; uploaded: boolean };
}

type Resize = (width: number, height: number) => Promise<Buffer>;

/** A copy of functions/thumbnail under a unique name, without node_modules (deploy installs). */
function copyThumbnail(dir: string, name: string): string {
  const folder = join(dir, name);
  for (const file of ['fn.json', 'index.ts', 'package.json', 'package-lock.json']) {
    cpSync(join(THUMBNAIL, file), join(folder, file));
  }
  const manifest = JSON.parse(readFileSync(join(folder, 'fn.json'), 'utf8')) as object;
  writeFileSync(join(folder, 'fn.json'), JSON.stringify({ ...manifest, name }));
  return folder;
}

describe('per-function images through the gateway', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fjord-image-deploy-'));
  const name = uniqueName('thumb');
  const servers: FnServer[] = [];
  const broker = testVhost();
  let api: Api;
  let gatewayNode: FnServer;
  let deployed: DeployWithImage;
  let folder: string;
  /** A solid PNG of the given size, made with the sharp that fn deploy installed. */
  let makePng: Resize;

  const startNode = async (): Promise<FnServer> => {
    const node = await startFn(
      ['node', '--broker', broker, '--gateway', api.base, '--token', api.token],
      { cwd: dir },
    );
    servers.push(node);
    return node;
  };

  const resize = (query: string, body: Buffer): Promise<Response> =>
    fetch(`${api.base}/fn/${name}?${query}`, { method: 'POST', body });

  before(async () => {
    await baseImage();
    const gateway = await startFn(['gateway', '--port', '0', '--broker', broker], { cwd: dir });
    servers.push(gateway);
    api = new Api(readCredentials(join(dir, '.fn', 'credentials.json')));
    gatewayNode = await startNode();
    folder = copyThumbnail(dir, name);
    deployed = await runFnJson<DeployWithImage>(['deploy', folder], { cwd: dir });
    const sharp = createRequire(join(folder, 'package.json'))('sharp') as (options: object) => {
      png(): { toBuffer(): Promise<Buffer> };
    };
    makePng = (width, height) =>
      sharp({ create: { width, height, channels: 3, background: '#3a7' } })
        .png()
        .toBuffer();
  });
  after(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    if (deployed !== undefined) await docker('rmi', deployed.image.image).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  test('fn deploy builds the image, uploads it and the version names it by digest', async () => {
    const { image } = deployed;
    assert.match(image.image, new RegExp(`^fjord-fn/${name}:[0-9a-f]{12}$`));
    assert.match(image.imageSha, /^[0-9a-f]{64}$/);
    assert.equal(image.uploaded, true);
    const { body } = await api.json<FunctionView>(`/v1/functions/${name}`);
    assert.equal(body.manifest.image, image.image);
    assert.equal(body.manifest.imageSha, image.imageSha);
    const head = await api.fetch(`/v1/images/${image.imageSha}`, { method: 'HEAD' });
    assert.equal(head.headers.get('content-length'), String(image.size));
  });

  test('the thumbnail function resizes an uploaded PNG with sharp from its image', async () => {
    const response = await resize('width=32&height=20', await makePng(200, 120));
    assert.equal(response.status, 200, await response.clone().text());
    assert.equal(response.headers.get('content-type'), 'image/png');
    assert.deepEqual(pngSize(Buffer.from(await response.arrayBuffer())), {
      width: 32,
      height: 20,
    });
    const bad = await resize('width=0', await makePng(10, 10));
    assert.equal(bad.status, 400);
  });

  test('a second deploy of the same folder sends no image: the gateway has it', async () => {
    const again = await runFnJson<DeployWithImage>(['deploy', folder], { cwd: dir });
    assert.equal(again.image.imageSha, deployed.image.imageSha);
    assert.equal(again.image.uploaded, false);
    assert.equal(again.created, false);
  });

  test('a node without the image loads it from the gateway once, for concurrent cold starts', async () => {
    await gatewayNode.stop();
    await docker('rmi', deployed.image.image);
    const node = await startNode();
    const png = await makePng(90, 60);
    const responses = await Promise.all([30, 45, 60].map((width) => resize(`width=${width}`, png)));
    for (const [index, response] of responses.entries()) {
      assert.equal(response.status, 200, await response.clone().text());
      const size = pngSize(Buffer.from(await response.arrayBuffer()));
      const width = [30, 45, 60][index] ?? 0;
      assert.deepEqual(size, { width, height: (width * 2) / 3 });
    }
    await docker('image', 'inspect', deployed.image.image);
    const loads = node
      .stderr()
      .split('\n')
      .filter((line) => line.includes('function image loaded from the gateway'));
    assert.equal(loads.length, 1, 'one download however many containers started');
  });

  test('an image the gateway does not have, or a registry that does not answer: CONTAINER_IMAGE_UNAVAILABLE', async () => {
    const cases = [
      {
        manifest: { image: 'fjord-fn/never-built:1', imageSha: 'c'.repeat(64) },
        message:
          /downloading image fjord-fn\/never-built:1 .* from the gateway failed: .*no image c{64}/,
      },
      {
        manifest: { image: 'localhost:1/fjord-nope:1' },
        message: /docker pull localhost:1\/fjord-nope:1 failed/,
      },
    ];
    for (const { manifest, message } of cases) {
      const missing = uniqueName('no-image');
      await api.deployFixture(missing, 'hello', { runtime: 'container', ...manifest });
      const { status, body } = await api.json<{ error: { code: string; message: string } }>(
        `/fn/${missing}`,
      );
      assert.equal(status, 503);
      assert.equal(body.error.code, 'CONTAINER_IMAGE_UNAVAILABLE');
      assert.match(body.error.message, message);
    }
  });
});
