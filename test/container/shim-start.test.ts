import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { MODULE_GLOBAL } from '../../core/api.ts';
import { ContainerExecutor } from '../../runtime/container/container-executor.ts';
import { eventPayload, invocationContext, valueOf } from '../fixtures/bundles/invocations.ts';
import { uniqueName } from '../support/fixtures.ts';
import { baseImage, ContainerFixtures } from './support/container-fixtures.ts';

const run = promisify(execFile);
const SHIM_DIR = fileURLToPath(new URL('../../docker/shim/', import.meta.url));

describe('container shim start-up', () => {
  test('every shim module comes from the cache, on a read-only root as uid 1000', async () => {
    const image = await baseImage();
    // Node's own debug log of its compile cache (stderr): which entries it read and accepted.
    // The shim's warm-up mode listens once and exits, like the image build that wrote the cache.
    const { stderr: output } = await run(
      'docker',
      [
        'run',
        '--rm',
        '--read-only',
        '--tmpfs',
        '/tmp',
        '--network',
        'none',
        '--cap-drop',
        'ALL',
        '--memory',
        '128m',
        '-e',
        'NODE_DEBUG_NATIVE=COMPILE_CACHE',
        '-e',
        'FJORD_SOCKET=/tmp/shim.sock',
        image,
        '--warm-compile-cache',
      ],
      { timeout: 60_000 },
    );
    const files = (await readdir(SHIM_DIR)).filter((f) => /\.m[jt]s$/.test(f));
    assert.ok(files.length > 5, 'the shim files are listed');
    for (const file of files) {
      const url = `file:///opt/fjord/shim/${file}`;
      assert.match(output, new RegExp(`V8 code cache for ESM ${url} was accepted`), file);
      if (file.endsWith('.mts')) {
        assert.match(
          output,
          new RegExp(`retrieving transpile cache for StrippedTypeScript ${url}\\.\\.\\.success`),
          file,
        );
      }
    }
    assert.doesNotMatch(output, /rejected|was not initialized/, 'no entry is missing or stale');
  });

  test('fetch (undici) is loaded for fetch handlers only, as they load', async () => {
    const fixtures = new ContainerFixtures();
    const executor = new ContainerExecutor({
      loadCode: fixtures.bundles.load,
      image: await baseImage(),
      nodeId: 'shim-start-test',
    });
    try {
      // An event handler that reports which of Node's internal modules are loaded by then.
      const code = `var ${MODULE_GLOBAL} = { default: () => process.moduleLoadList.filter((m) => m.includes('undici')) };`;
      const fn = fixtures.bundles.specForCode(uniqueName('shim-start'), code, {
        runtime: 'container',
        memoryMb: 128,
      });
      assert.deepEqual(
        valueOf(await executor.invoke(fn, eventPayload({}), invocationContext())),
        [],
      );
      // The same, carrying a fetch method: loaded before its first invocation.
      const withFetch = `var ${MODULE_GLOBAL} = { default: Object.assign(() => process.moduleLoadList.filter((m) => m.includes('undici')), { fetch: () => new Response('') }) };`;
      const fetching = fixtures.bundles.specForCode(uniqueName('shim-start'), withFetch, {
        runtime: 'container',
        memoryMb: 128,
      });
      const loaded = valueOf(
        await executor.invoke(fetching, eventPayload({}), invocationContext()),
      );
      assert.ok(Array.isArray(loaded) && loaded.length > 0, JSON.stringify(loaded));
    } finally {
      await executor.dispose();
    }
  });
});
