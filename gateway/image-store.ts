/**
 * Function images as `docker save` tarballs, content-addressed on the gateway's disk:
 * `<dir>/<sha256>.tar`. Only the file system knows them (the store keeps the sha in the
 * version's manifest, never the bytes), so a 500 MB image costs no memory and no SQLite blob.
 * Several gateways behind one load balancer need `dir` on a shared volume.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { mkdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { imageTooLargeMessage } from '../core/api.ts';
import { FjordError } from '../core/errors.ts';

/** Default largest image the gateway takes: 1 GiB. */
export const DEFAULT_IMAGE_LIMIT_BYTES = 1024 * 1024 * 1024;

const SHA256_HEX = /^[0-9a-f]{64}$/;

export interface ImageStoreOptions {
  /** Where the tarballs live (created when missing), e.g. `<data dir>/images`. */
  dir: string;
  /** Largest tarball accepted, in bytes. Default {@link DEFAULT_IMAGE_LIMIT_BYTES}. */
  maxBytes?: number;
}

/** One stored image, ready to stream. */
export interface StoredImage {
  size: number;
  open(): ReadStream;
}

export class ImageStore {
  readonly dir: string;
  readonly maxBytes: number;

  constructor(options: ImageStoreOptions) {
    this.dir = options.dir;
    this.maxBytes = options.maxBytes ?? DEFAULT_IMAGE_LIMIT_BYTES;
  }

  /** True for a well-formed sha256 (lowercase hex): the only names files here may have. */
  static isSha(sha: string): boolean {
    return SHA256_HEX.test(sha);
  }

  /** The image with this sha, or undefined when the gateway does not have it. */
  async get(sha: string): Promise<StoredImage | undefined> {
    if (!ImageStore.isSha(sha)) return undefined;
    const path = this.#path(sha);
    const info = await stat(path).catch(() => undefined);
    if (info === undefined || !info.isFile()) return undefined;
    return { size: info.size, open: () => createReadStream(path) };
  }

  /**
   * Streams `body` to a temporary file while hashing it, then renames it into place when its
   * sha256 is `sha`. IMAGE_DIGEST_MISMATCH when it is not, PAYLOAD_TOO_LARGE as soon as it passes
   * the limit. `created` is false when the image was there already (the upload is dropped).
   */
  async put(sha: string, body: Readable): Promise<{ size: number; created: boolean }> {
    if (!ImageStore.isSha(sha)) {
      throw new FjordError(
        'BAD_REQUEST',
        'an image is named by its sha256: 64 lowercase hex digits',
      );
    }
    await mkdir(this.dir, { recursive: true });
    // A dot file: never taken for an image, and on the same file system so the rename is atomic.
    const temp = join(this.dir, `.upload-${randomBytes(6).toString('hex')}`);
    const hash = createHash('sha256');
    let size = 0;
    const limit = this.maxBytes;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > limit) {
          done(tooLarge(limit));
          return;
        }
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(body, meter, createWriteStream(temp));
      const actual = hash.digest('hex');
      if (actual !== sha) {
        throw new FjordError(
          'IMAGE_DIGEST_MISMATCH',
          `the upload has sha256 ${actual}, not ${sha}: it was changed or cut short on the way`,
        );
      }
      const existing = await this.get(sha);
      if (existing !== undefined) return { size: existing.size, created: false };
      await rename(temp, this.#path(sha));
      return { size, created: true };
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  #path(sha: string): string {
    return join(this.dir, `${sha}.tar`);
  }
}

export function tooLarge(limit: number): FjordError {
  return new FjordError('PAYLOAD_TOO_LARGE', imageTooLargeMessage(limit));
}
