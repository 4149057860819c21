/**
 * The gateway's image routes on a real gateway (SQLite store, real HTTP): uploads verified by
 * sha256 and stored as files, HEAD before upload, downloads for nodes, scopes and limits.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ImageUploadResponse } from '../../core/api.ts';
import { DEFAULT_IMAGE_LIMIT_BYTES, ImageStore } from '../../gateway/image-store.ts';
import { errorOf, startHarness, type Harness } from '../gateway/harness.ts';

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

async function withImages(
  t: Parameters<typeof startHarness>[0],
  maxBytes?: number,
): Promise<{ h: Harness; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'fjord-images-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const images = new ImageStore({ dir, ...(maxBytes === undefined ? {} : { maxBytes }) });
  return { h: await startHarness(t, { images }), dir };
}

function put(h: Harness, sha: string, body: Buffer | ReadableStream, token = 'deploy') {
  return h.request(`/v1/images/${sha}`, {
    method: 'PUT',
    body,
    token,
    headers: { 'content-type': 'application/x-tar' },
    ...(body instanceof Buffer ? {} : { duplex: 'half' }),
  });
}

test('an upload is stored under its sha once; HEAD and GET find it; a node downloads it', async (t) => {
  const { h, dir } = await withImages(t);
  const tarball = randomBytes(300_000);
  const sha = sha256(tarball);

  const before = await h.request(`/v1/images/${sha}`, { method: 'HEAD', token: 'deploy' });
  assert.equal(before.status, 404, 'nothing to skip yet');
  assert.equal(
    before.headers.get('x-fjord-image-limit'),
    String(DEFAULT_IMAGE_LIMIT_BYTES),
    'the limit, so a client refuses a larger image unsent',
  );

  const first = await put(h, sha, tarball);
  assert.equal(first.status, 201);
  assert.deepEqual(await first.json(), {
    sha,
    size: tarball.length,
    created: true,
  });
  const again = await put(h, sha, tarball);
  assert.equal(again.status, 200);
  assert.equal(((await again.json()) as ImageUploadResponse).created, false);
  assert.deepEqual(readdirSync(dir), [`${sha}.tar`], 'one file, no temporary left behind');

  const head = await h.request(`/v1/images/${sha}`, { method: 'HEAD', token: 'deploy' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), String(tarball.length));

  const download = await h.request(`/v1/images/${sha}`, { token: 'node' });
  assert.equal(download.status, 200);
  assert.equal(download.headers.get('content-type'), 'application/x-tar');
  assert.equal(sha256(Buffer.from(await download.arrayBuffer())), sha);
});

test('a chunked (streamed) upload is verified the same way', async (t) => {
  const { h } = await withImages(t);
  const parts = [randomBytes(70_000), randomBytes(90_000)];
  const sha = sha256(Buffer.concat(parts));
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const part of parts) controller.enqueue(part);
      controller.close();
    },
  });
  const response = await put(h, sha, stream);
  assert.equal(response.status, 201);
  assert.equal(((await response.json()) as ImageUploadResponse).size, 160_000);
});

test('bad uploads: wrong sha, malformed sha, over the limit, wrong scope', async (t) => {
  const { h, dir } = await withImages(t, 100_000);
  const tarball = randomBytes(1000);

  const mismatch = await put(h, 'a'.repeat(64), tarball);
  assert.equal(mismatch.status, 400);
  const error = await errorOf(mismatch);
  assert.equal(error.code, 'IMAGE_DIGEST_MISMATCH');
  assert.match(error.message, new RegExp(sha256(tarball)));

  const malformed = await put(h, 'latest', tarball);
  assert.equal((await errorOf(malformed)).code, 'BAD_REQUEST');

  const big = randomBytes(100_001);
  const tooLarge = await put(h, sha256(big), big);
  assert.equal(tooLarge.status, 413);
  assert.match(
    (await errorOf(tooLarge)).message,
    /larger than this gateway takes \(100000 bytes\)/,
  );

  const chunked = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(big.subarray(0, 60_000));
      controller.enqueue(big.subarray(60_000));
      controller.close();
    },
  });
  const tooLargeChunked = await put(h, sha256(big), chunked);
  assert.equal((await errorOf(tooLargeChunked)).code, 'PAYLOAD_TOO_LARGE');

  const byNode = await put(h, sha256(tarball), tarball, 'node');
  assert.equal(byNode.status, 403, 'nodes download images, they never upload them');
  const byInvoke = await h.request(`/v1/images/${sha256(tarball)}`, { token: 'invoke' });
  assert.equal(byInvoke.status, 403, 'downloads are for nodes');
  assert.deepEqual(readdirSync(dir), [], 'no refused upload left a file');
});

test('GET of an unknown image is IMAGE_NOT_FOUND', async (t) => {
  const { h } = await withImages(t);
  const missing = await h.request(`/v1/images/${'b'.repeat(64)}`, { token: 'node' });
  assert.equal(missing.status, 404);
  assert.equal((await errorOf(missing)).code, 'IMAGE_NOT_FOUND');
});
