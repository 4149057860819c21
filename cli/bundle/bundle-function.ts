import { resolve } from 'node:path';
import type { Manifest } from '../../core/manifest.ts';
import { bundleEntry } from './esbuild-bundle.ts';
import { displayPath } from './paths.ts';
import { readFunctionSource } from './read-manifest.ts';
import { typecheckFunction } from './typecheck.ts';

export interface BundleOptions {
  /** Run the TypeScript compiler first (slower; `fn deploy` does unless --no-typecheck). */
  typecheck: boolean;
  /** Append an inline source map: error stacks then name the source file, line and column. */
  sourcemap?: boolean;
  /** Where relative paths in messages start; the process's working directory by default. */
  cwd?: string;
  /** Told about each step as it begins, for progress display. */
  onStep?: (step: string) => void;
  /**
   * Runs once fn.json is read, before bundling (`fn deploy` installs a container function's
   * dependencies here); the packages it names stay `require()` calls in the bundle.
   */
  prepare?: (manifest: Manifest, folder: string) => Promise<{ external: string[] } | undefined>;
}

export interface FunctionBundle {
  /** fn.json, validated, with defaults filled in. */
  manifest: Manifest;
  /** The bundle the runtime loads. */
  code: string;
  /** Bundle size in bytes (UTF-8). */
  size: number;
  /** esbuild warnings as `file:line:col: text`. */
  warnings: string[];
}

/**
 * Turns a function folder (fn.json + entry) into the bundle `PUT /v1/functions/NAME` takes.
 * Fails with INVALID_MANIFEST or BUNDLE_REJECTED errors that name the file and the problem.
 */
export async function bundleFunction(dir: string, options: BundleOptions): Promise<FunctionBundle> {
  const cwd = options.cwd ?? process.cwd();
  const folder = resolve(cwd, dir);
  const shown = displayPath(folder, cwd);
  options.onStep?.(`reading ${shown}/fn.json`);
  const { manifest, entryPath } = await readFunctionSource(folder, cwd);
  const prepared = await options.prepare?.(manifest, folder);
  options.onStep?.(`bundling ${displayPath(entryPath, cwd)}`);
  const { code, warnings } = await bundleEntry(entryPath, manifest.runtime, {
    cwd,
    sourcemap: options.sourcemap,
    root: folder,
    ...(prepared === undefined ? {} : { external: prepared.external }),
  });
  if (options.typecheck) {
    options.onStep?.(`type-checking ${shown}`);
    await typecheckFunction(folder, entryPath, manifest.runtime, cwd);
  }
  return { manifest, code, size: Buffer.byteLength(code), warnings };
}
