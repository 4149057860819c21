/**
 * How a node gets a function's image it does not have, against the real Docker engine: a
 * download that is not the image it should be fails the load, concurrent cold starts share one
 * download, and a version without a way to get its image says so.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { isFjordError } from '../../core/errors.ts';
import type { FunctionSpec } from '../../core/messages.ts';
import { DockerEngine } from '../../runtime/container/docker-engine.ts';
import { defaultDockerSocket } from '../../runtime/container/executor-options.ts';
import { verifySha } from '../../runtime/container/image-fetch.ts';
import { ImageResolver, isRegistryReference } from '../../runtime/container/image-resolver.ts';
import { uniqueName } from '../support/fixtures.ts';

const engine = new DockerEngine(defaultDockerSocket());

function spec(image: string, imageSha?: string): FunctionSpec & { image: string } {
  return {
    name: 'resolver-test',
    version: 1,
    bundleSha: 'f'.repeat(64),
    runtime: 'container',
    memoryMb: 128,
    timeoutMs: 1000,
    concurrency: 1,
    env: {},
    image,
    ...(imageSha === undefined ? {} : { imageSha }),
  };
}

function unavailable(pattern: RegExp) {
  return (error: unknown) =>
    isFjordError(error) &&
    error.code === 'CONTAINER_IMAGE_UNAVAILABLE' &&
    pattern.test(error.message);
}

test('a download that is not a docker save tarball fails as docker load, naming the image', async () => {
  const sha = 'd'.repeat(64);
  const image = `fjord-fn/${uniqueName('garbage')}:1`;
  let downloads = 0;
  const resolver = new ImageResolver(engine, async () => {
    downloads += 1;
    return Readable.from([Buffer.from('not a tarball at all')]).pipe(verifySha(sha));
  });
  // Two cold starts at once share the one download.
  const results = await Promise.allSettled([
    resolver.ensure(spec(image, sha)),
    resolver.ensure(spec(image, sha)),
  ]);
  for (const result of results) {
    assert.equal(result.status, 'rejected');
    assert.ok(unavailable(/docker load of image fjord-fn\/garbage-.* failed/)(result.reason));
  }
  assert.equal(downloads, 1);
});

test('a download that fails names the step', async () => {
  const resolver = new ImageResolver(engine, () => Promise.reject(new Error('connection refused')));
  await assert.rejects(
    resolver.ensure(spec(`fjord-fn/${uniqueName('offline')}:1`, 'e'.repeat(64))),
    unavailable(/downloading image .* from the gateway failed: connection refused/),
  );
});

test('a local tag without a digest or gateway is not pulled: it was never uploaded', async () => {
  const resolver = new ImageResolver(engine, undefined);
  await assert.rejects(
    resolver.ensure(spec(`fjord-fn/${uniqueName('local')}:1`)),
    unavailable(/is not on this node: deploy the function with fn deploy/),
  );
});

test('registry references are told from local tags by their first component', () => {
  assert.equal(isRegistryReference('registry.example.com/team/fn:1'), true);
  assert.equal(isRegistryReference('localhost:5000/fn'), true);
  assert.equal(isRegistryReference('localhost/fn:2'), true);
  assert.equal(isRegistryReference('fjord-fn/thumbnail:abc'), false);
  assert.equal(isRegistryReference('node:24'), false);
});
