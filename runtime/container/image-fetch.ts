/**
 * Downloads a function image (`docker save` tarball) from the gateway that stores it, with the
 * node's token: `GET /v1/images/SHA`. The body is streamed straight into `docker load` and hashed
 * on the way, so an image of any size costs no memory and a corrupted one is noticed.
 */
import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import type { ErrorBody } from '../../core/api.ts';
import { FjordError, isErrorData } from '../../core/errors.ts';

/** Opens the tarball of the image with this sha256 as a stream. */
export type ImageSource = (sha: string) => Promise<Readable>;

/** An {@link ImageSource} over the gateway's control API. */
export function gatewayImageSource(options: { gateway: string; token: string }): ImageSource {
  const base = options.gateway.replace(/\/+$/, '');
  return async (sha) => {
    const path = `/v1/images/${encodeURIComponent(sha)}`;
    const response = await fetch(base + path, {
      headers: { authorization: `Bearer ${options.token}` },
    });
    if (!response.ok || response.body === null) {
      const body = (await response.json().catch(() => undefined)) as ErrorBody | undefined;
      if (isErrorData(body?.error)) throw FjordError.from(body.error);
      throw new FjordError('INTERNAL', `gateway answered ${response.status} to GET ${path}`);
    }
    return Readable.fromWeb(response.body).pipe(verifySha(sha));
  };
}

/** Passes bytes through and fails the stream at its end when their sha256 is not `sha`. */
export function verifySha(sha: string): Transform {
  const hash = createHash('sha256');
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
    flush(done) {
      const actual = hash.digest('hex');
      done(
        actual === sha ? null : new Error(`the image arrived with sha256 ${actual}, not ${sha}`),
      );
    },
  });
}
