/**
 * Writes a generated file the way Prettier would, so `prettier --check .` (part of the test
 * script) stays green after every benchmark run.
 */
import { writeFile } from 'node:fs/promises';
import { format, resolveConfig } from 'prettier';

export async function writeFormatted(path: string, text: string): Promise<void> {
  const config = (await resolveConfig(path)) ?? {};
  await writeFile(path, await format(text, { ...config, filepath: path }));
}
