import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FjordError } from '../../core/errors.ts';
import type { Manifest } from '../../core/manifest.ts';

/** What `fn deploy` does for a container function's own image. */
export interface ImagePlan {
  /** The function folder: the image's build context. */
  folder: string;
  /** package.json `dependencies`: installed on this host, left out of the bundle. */
  dependencies: string[];
  /** package-lock.json (or npm-shrinkwrap.json) is there: `npm ci` rather than `npm install`. */
  lockfile: boolean;
  /** The folder's Dockerfile (FROM ${BASE_IMAGE}); absent: a generated one copies node_modules. */
  dockerfile: boolean;
  /** Build and upload an image: fn.json names none of its own. */
  build: boolean;
}

/**
 * Container functions whose folder has a Dockerfile or a package.json with dependencies get
 * their own image; everything else deploys as a bundle alone (undefined). A function naming its
 * `image` in fn.json built it itself: its dependencies still stay out of the bundle.
 */
export async function planImage(
  folder: string,
  manifest: Manifest,
): Promise<ImagePlan | undefined> {
  if (manifest.runtime !== 'container') return undefined;
  const [dependencies, dockerfile, lock, shrinkwrap] = await Promise.all([
    readDependencies(join(folder, 'package.json')),
    isFile(join(folder, 'Dockerfile')),
    isFile(join(folder, 'package-lock.json')),
    isFile(join(folder, 'npm-shrinkwrap.json')),
  ]);
  if (dependencies.length === 0 && !dockerfile) return undefined;
  return {
    folder,
    dependencies,
    lockfile: lock || shrinkwrap,
    dockerfile,
    build: manifest.image === undefined,
  };
}

async function readDependencies(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return [];
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new FjordError('INVALID_MANIFEST', `${path}: invalid JSON: ${(error as Error).message}`);
  }
  const dependencies = (parsed as { dependencies?: unknown } | null)?.dependencies;
  if (typeof dependencies !== 'object' || dependencies === null) return [];
  return Object.keys(dependencies).sort();
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}
