/**
 * Container functions for tests: the fixtures under test/fixtures/container (Node APIs) and
 * test/fixtures/functions (shared with the isolate tests), bundled by the CLI's own bundler for
 * the container runtime and served by sha256 to executors under test.
 */
import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { bundleEntry } from '../../../cli/bundle/esbuild-bundle.ts';
import type { FunctionSpec } from '../../../core/messages.ts';
import { FixtureBundles } from '../../fixtures/bundles/fixture-bundles.ts';
import { uniqueName } from '../../support/fixtures.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FOLDERS = ['test/fixtures/container', 'test/fixtures/functions'];

/** The offline base image, built once per machine (the script is a no-op when it exists). */
export async function baseImage(): Promise<string> {
  const { stdout } = await run('bash', [`${ROOT}docker/base/build-offline.sh`]);
  return stdout.trim();
}

export class ContainerFixtures {
  readonly bundles = new FixtureBundles();
  readonly #code = new Map<string, Promise<string>>();

  /** A uniquely named container FunctionSpec running fixture `fixture`. */
  async spec(fixture: string, overrides: Partial<FunctionSpec> = {}): Promise<FunctionSpec> {
    let code = this.#code.get(fixture);
    if (code === undefined) {
      code = bundle(fixture);
      this.#code.set(fixture, code);
    }
    return this.bundles.specForCode(uniqueName(fixture), await code, {
      runtime: 'container',
      memoryMb: 128,
      concurrency: 1,
      ...overrides,
    });
  }
}

async function bundle(fixture: string): Promise<string> {
  for (const folder of FOLDERS) {
    const entry = `${ROOT}${folder}/${fixture}/index.ts`;
    const exists = await access(entry).then(
      () => true,
      () => false,
    );
    if (exists) return (await bundleEntry(entry, 'container', { cwd: ROOT })).code;
  }
  throw new Error(`no fixture ${fixture}`);
}
