import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { transform } from 'esbuild';
import { FjordError } from '../../core/errors.ts';
import {
  createManifestValidator,
  type Manifest,
  type ManifestValidator,
} from '../../core/manifest.ts';
import { CliError } from '../errors.ts';
import { messagesOf, positionOf } from './esbuild-messages.ts';
import { displayPath } from './paths.ts';

/** The manifest of a function folder and the absolute path of its entry file. */
export interface FunctionSource {
  manifest: Manifest;
  entryPath: string;
}

let validator: ManifestValidator | undefined;

/**
 * Reads and validates `<dir>/fn.json` and checks that its entry file exists. A `dir` that is no
 * folder is FUNCTION_DIR_NOT_FOUND; every other failure is an INVALID_MANIFEST error naming the
 * file, and the position or field at fault.
 */
export async function readFunctionSource(dir: string, cwd: string): Promise<FunctionSource> {
  const manifestPath = join(dir, 'fn.json');
  const shown = displayPath(manifestPath, cwd);
  const kind = await kindOf(dir);
  if (kind !== 'directory') {
    const what = kind === 'missing' ? 'does not exist' : 'is not a directory';
    throw new CliError(`${displayPath(dir, cwd)} ${what}`, {
      code: 'FUNCTION_DIR_NOT_FOUND',
      hint: 'give the folder of a function, the one with its fn.json (`fn init NAME` creates one)',
    });
  }
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch {
    throw new FjordError(
      'INVALID_MANIFEST',
      `${shown} not found: a function folder needs an fn.json such as {"name": "my-function"} (\`fn init NAME\` creates one)`,
    );
  }
  validator ??= createManifestValidator();
  const manifest = validator(await parseJson(text, shown), shown);
  const entryPath = resolve(dir, manifest.entry);
  if (!(await isFile(entryPath))) {
    throw new FjordError(
      'INVALID_MANIFEST',
      `${shown}: entry file "${manifest.entry}" not found (${displayPath(entryPath, cwd)} does not exist)`,
    );
  }
  return { manifest, entryPath };
}

/**
 * JSON.parse, with errors that say where: V8's messages name a position only sometimes, so on
 * failure esbuild's JSON parser (strict, with line and column) explains the same text again.
 */
async function parseJson(text: string, shown: string): Promise<unknown> {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const explained = await transform(text, {
      loader: 'json',
      sourcefile: shown,
      logLevel: 'silent',
    }).then(
      () => undefined,
      (failure: unknown) => messagesOf(failure)[0],
    );
    const where = (explained && positionOf(explained)) ?? shown;
    const why = explained?.text ?? (error as Error).message;
    throw new FjordError('INVALID_MANIFEST', `${where}: invalid JSON: ${why}`);
  }
}

async function kindOf(path: string): Promise<'directory' | 'other' | 'missing'> {
  const stats = await stat(path).catch(() => undefined);
  return stats === undefined ? 'missing' : stats.isDirectory() ? 'directory' : 'other';
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}
