/** SVG to PNG with Debian's rsvg-convert (librsvg2-bin, installed by ensure-bench-deps.sh). */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Writes `svg` next to nothing but `pngPath` (the SVG goes to `svgPath`, a scratch file). */
export async function writePng(svg: string, svgPath: string, pngPath: string): Promise<void> {
  await writeFile(svgPath, svg);
  await run('rsvg-convert', ['--background-color=white', '-o', pngPath, svgPath]);
}
