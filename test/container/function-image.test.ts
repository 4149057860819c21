/**
 * A function's own image, built without a registry: its Dockerfile FROM the base image, with the
 * dependencies installed on the host (here isolated-vm, a native addon) copied in. The bundle
 * leaves the addon external and the shim's require() finds it under /app/node_modules.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { build } from 'esbuild';
import { MODULE_GLOBAL } from '../../core/api.ts';
import { ContainerExecutor } from '../../runtime/container/container-executor.ts';
import { FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
import {
  errorOf,
  eventPayload,
  invocationContext,
  valueOf,
} from '../fixtures/bundles/invocations.ts';
import { uniqueName } from '../support/fixtures.ts';
import { baseImage } from './support/container-fixtures.ts';
import { docker } from './support/docker-cli.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURE = join(ROOT, 'test/fixtures/container/native-addon');

describe('per-function images', () => {
  const bundles = new FixtureBundles();
  const context = mkdtempSync(join(tmpdir(), 'fjord-fn-image-'));
  const name = uniqueName('native');
  let executor: ContainerExecutor;
  let tag: string;
  let code: string;

  before(async () => {
    // What `npm ci` in the function folder would have installed on the host.
    cpSync(join(FIXTURE, 'Dockerfile'), join(context, 'Dockerfile'));
    for (const dependency of ['isolated-vm', 'node-gyp-build']) {
      cpSync(join(ROOT, 'node_modules', dependency), join(context, 'node_modules', dependency), {
        recursive: true,
      });
    }
    const built = await run('bash', [join(ROOT, 'docker/function/build-image.sh'), context, name]);
    tag = built.stdout.trim();
    const bundled = await build({
      entryPoints: [join(FIXTURE, 'index.ts')],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'iife',
      globalName: MODULE_GLOBAL,
      external: ['isolated-vm'],
      logLevel: 'silent',
    });
    code = bundled.outputFiles[0]?.text ?? '';
    executor = new ContainerExecutor({
      loadCode: bundles.load,
      image: await baseImage(),
      nodeId: 'function-image-test',
    });
  });
  after(async () => {
    await executor?.dispose();
    await docker('rmi', tag).catch(() => undefined);
    rmSync(context, { recursive: true, force: true });
  });

  test('the image is tagged by its content and built FROM the base image', async () => {
    assert.match(tag, new RegExp(`^fjord-fn/${name}:[0-9a-f]{12}$`));
    const again = await run('bash', [join(ROOT, 'docker/function/build-image.sh'), context, name]);
    assert.equal(again.stdout.trim(), tag, 'an unchanged folder is not rebuilt under a new tag');
    const labels = JSON.parse(
      await docker('image', 'inspect', '--format', '{{json .Config.Labels}}', tag),
    ) as Record<string, string>;
    assert.equal(labels['fjord.base'], await baseImage());
  });

  test('a function naming the image uses the native addon installed in it', async () => {
    const fn = bundles.specForCode(name, code, { runtime: 'container', memoryMb: 256, image: tag });
    const outcome = await executor.invoke(
      fn,
      eventPayload({ expression: '6 * 7' }),
      invocationContext(),
    );
    assert.deepEqual(valueOf(outcome), { value: 42 });
  });

  test('on the base image alone the dependency is missing: the addon came from the image', async () => {
    const fn = bundles.specForCode(uniqueName('no-image'), code, {
      runtime: 'container',
      memoryMb: 256,
    });
    const error = errorOf(
      await executor.invoke(fn, eventPayload({ expression: '1' }), invocationContext()),
    );
    assert.equal(error.code, 'FUNCTION_ERROR');
    assert.match(error.message, /Cannot find module 'isolated-vm'/);
  });
});
