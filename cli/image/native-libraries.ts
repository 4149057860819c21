import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool } from './run-tool.ts';

/** Native code in npm packages: addons and the shared libraries they ship. */
const NATIVE = /\.(node|so(\.\d+)*)$/;

/**
 * The host's shared libraries that native code under `<folder>/node_modules` links (as `ldd`
 * resolves them), outside the folder itself. The offline base image holds only what Node links:
 * sharp's libvips also needs libresolv, for instance.
 */
export async function hostLibraries(folder: string): Promise<string[]> {
  const root = join(folder, 'node_modules');
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  const natives = entries
    .filter((entry) => entry.isFile() && NATIVE.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
  const libraries = new Set<string>();
  for (const file of natives) {
    const { code, stdout } = await runTool('ldd', [file], {});
    if (code !== 0) continue;
    for (const match of stdout.matchAll(/=> (\/\S+) \(/g)) {
      const path = match[1] ?? '';
      if (!path.startsWith(folder)) libraries.add(path);
    }
  }
  return [...libraries].sort();
}

/**
 * A build context adding `libraries` to an image at the paths they have on this host, where the
 * dynamic loader of the base image (built from this host's files) looks for them.
 */
export async function librariesContext(
  libraries: string[],
): Promise<{ dir: string; dockerfile: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'fn-libs-'));
  const lines = ['ARG FUNCTION_IMAGE', 'FROM ${FUNCTION_IMAGE}'];
  for (const [index, path] of libraries.entries()) {
    // Copied through symlinks: the image gets the file itself under the linked name.
    await copyFile(path, join(dir, `lib${index}`));
    lines.push(`COPY lib${index} ${path}`);
  }
  const dockerfile = `${lines.join('\n')}\n`;
  await writeFile(join(dir, 'Dockerfile'), dockerfile);
  return { dir, dockerfile, remove: () => rm(dir, { recursive: true, force: true }) };
}
