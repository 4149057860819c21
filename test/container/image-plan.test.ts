/** Which container function folders `fn deploy` builds an image for, and how it installs. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isFjordError } from '../../core/errors.ts';
import { createManifestValidator } from '../../core/manifest.ts';
import { planImage } from '../../cli/image/image-plan.ts';

describe('fn deploy: the image plan of a function folder', () => {
  const root = mkdtempSync(join(tmpdir(), 'fjord-image-plan-'));
  const validate = createManifestValidator();
  after(() => rmSync(root, { recursive: true, force: true }));

  function folder(name: string, files: Record<string, string>): string {
    const dir = join(root, name);
    mkdirSync(dir);
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
    return dir;
  }
  const deps = JSON.stringify({ dependencies: { sharp: '0.35.5', 'left-pad': '1.3.0' } });

  test('dependencies with a lock file: npm ci, packages external, an image built', async () => {
    const dir = folder('locked', { 'package.json': deps, 'package-lock.json': '{}' });
    const plan = await planImage(dir, validate({ name: 'a', runtime: 'container' }));
    assert.deepEqual(plan, {
      folder: dir,
      dependencies: ['left-pad', 'sharp'],
      lockfile: true,
      dockerfile: false,
      build: true,
    });
  });

  test('a Dockerfile alone is enough for an image; no lock file means npm install', async () => {
    const dir = folder('dockerfile', { Dockerfile: 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n' });
    const plan = await planImage(dir, validate({ name: 'b', runtime: 'container' }));
    assert.equal(plan?.build, true);
    assert.equal(plan?.dockerfile, true);
    assert.equal(plan?.lockfile, false);
    assert.deepEqual(plan?.dependencies, []);
  });

  test('fn.json naming an image: dependencies stay external, nothing is built', async () => {
    const dir = folder('own-image', { 'package.json': deps });
    const manifest = validate({ name: 'c', runtime: 'container', image: 'fjord-fn/c:1' });
    const plan = await planImage(dir, manifest);
    assert.equal(plan?.build, false);
    assert.deepEqual(plan?.dependencies, ['left-pad', 'sharp']);
  });

  test('isolate functions and folders without dependencies bundle as before', async () => {
    const withDeps = folder('isolate', { 'package.json': deps });
    assert.equal(await planImage(withDeps, validate({ name: 'd' })), undefined);
    const devOnly = folder('dev-only', {
      'package.json': JSON.stringify({ devDependencies: { typescript: '6' } }),
    });
    assert.equal(
      await planImage(devOnly, validate({ name: 'e', runtime: 'container' })),
      undefined,
    );
  });

  test('a package.json that is not JSON is INVALID_MANIFEST naming the file', async () => {
    const dir = folder('broken', { 'package.json': '{ "dependencies": ' });
    await assert.rejects(
      planImage(dir, validate({ name: 'f', runtime: 'container' })),
      (error: unknown) =>
        isFjordError(error) &&
        error.code === 'INVALID_MANIFEST' &&
        error.message.includes('package.json: invalid JSON'),
    );
  });
});
