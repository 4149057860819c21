import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CliError } from '../errors.ts';

/** A saved image on disk, named by the sha256 of its bytes. */
export interface SavedImage {
  path: string;
  sha: string;
  size: number;
  /** Deletes the file. */
  remove(): Promise<void>;
}

/**
 * `docker save TAG` into a temporary file, hashed on the way: the sha names the image on the
 * gateway, and the file lets the upload send a Content-Length. Never held in memory.
 */
export async function saveImage(tag: string, signal?: AbortSignal): Promise<SavedImage> {
  const dir = await mkdtemp(join(tmpdir(), 'fn-image-'));
  const path = join(dir, 'image.tar');
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
  const child = spawn('docker', ['save', tag], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(signal === undefined ? {} : { signal }),
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const hash = createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    const [, code] = await Promise.all([
      pipeline(child.stdout, meter, createWriteStream(path)),
      exited,
    ]);
    if (code !== 0) throw new Error(stderr.trim() || `exit code ${code}`);
  } catch (error) {
    await remove();
    throw new CliError(`docker save ${tag} failed: ${(error as Error).message}`, {
      code: 'IMAGE_BUILD_FAILED',
    });
  }
  return { path, sha: hash.digest('hex'), size, remove };
}
