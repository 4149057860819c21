import { IMAGE_LIMIT_HEADER, type ImageUploadResponse } from '../../core/api.ts';
import { FjordError } from '../../core/errors.ts';
import type { GatewayDeps, GatewayRouter } from '../gateway-context.ts';
import { tooLarge, type ImageStore, type StoredImage } from '../image-store.ts';
import { requireScope } from '../middleware/auth.ts';

/**
 * Function images without a registry: `fn deploy` uploads a `docker save` tarball named by its
 * sha256 (after a HEAD to skip what the gateway has), runtime nodes download it on first use.
 * Bodies stream to and from disk; none is held in memory.
 */
export function registerImageRoutes(router: GatewayRouter, deps: GatewayDeps): void {
  router.put('/v1/images/:sha', requireScope(deps.tokens, 'deploy'), async (ctx) => {
    const images = imagesOf(deps);
    // A declared length over the limit is refused before a byte is read.
    const declared = Number.parseInt(ctx.get('Content-Length'), 10);
    if (declared > images.maxBytes) {
      ctx.set('Connection', 'close');
      throw tooLarge(images.maxBytes);
    }
    const sha = ctx.params.sha ?? '';
    try {
      const { size, created } = await images.put(sha, ctx.req);
      ctx.status = created ? 201 : 200;
      ctx.body = { sha, size, created } satisfies ImageUploadResponse;
    } catch (error) {
      // The rest of a refused body is not worth reading: the connection goes with the answer.
      ctx.set('Connection', 'close');
      throw error;
    }
  });

  // Deploying clients ask before uploading; nodes before downloading.
  router.head('/v1/images/:sha', requireScope(deps.tokens, 'deploy', 'node'), async (ctx) => {
    const images = imagesOf(deps);
    ctx.set(IMAGE_LIMIT_HEADER, String(images.maxBytes));
    const image = await images.get(ctx.params.sha ?? '');
    if (image === undefined) {
      ctx.status = 404;
      return;
    }
    ctx.status = 200;
    ctx.length = image.size;
    ctx.type = 'application/x-tar';
  });

  router.get('/v1/images/:sha', requireScope(deps.tokens, 'node'), async (ctx) => {
    const image = await find(ctx.params.sha ?? '', deps);
    ctx.type = 'application/x-tar';
    ctx.length = image.size;
    ctx.etag = ctx.params.sha ?? '';
    ctx.set('Cache-Control', 'private, max-age=31536000, immutable');
    ctx.body = image.open();
  });
}

async function find(sha: string, deps: GatewayDeps): Promise<StoredImage> {
  const image = await imagesOf(deps).get(sha);
  if (image === undefined) {
    throw new FjordError('IMAGE_NOT_FOUND', `this gateway has no image ${sha.slice(0, 64)}`);
  }
  return image;
}

function imagesOf(deps: GatewayDeps): ImageStore {
  if (deps.images === undefined) {
    throw new FjordError('IMAGE_NOT_FOUND', 'this gateway keeps no images (it has no data dir)');
  }
  return deps.images;
}
