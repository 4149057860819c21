import { FjordError } from '../../core/errors.ts';
import type { GatewayDeps, GatewayRouter } from '../gateway-context.ts';
import { requireScope } from '../middleware/auth.ts';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * `GET /v1/bundles/SHA` for runtime nodes on other hosts. Bundles are content-addressed, so the
 * sha is a perfect ETag and the response never changes.
 */
export function registerBundleRoutes(router: GatewayRouter, deps: GatewayDeps): void {
  router.get('/v1/bundles/:sha', requireScope(deps.tokens, 'node'), async (ctx) => {
    const sha = ctx.params.sha ?? '';
    const code = SHA256_HEX.test(sha) ? await deps.store.getBundle(sha) : undefined;
    if (code === undefined) {
      throw new FjordError(
        'VERSION_NOT_FOUND',
        `no function version has bundle ${sha.slice(0, 64)}`,
      );
    }
    ctx.type = 'application/javascript; charset=utf-8';
    ctx.etag = sha;
    ctx.set('Cache-Control', 'private, max-age=31536000, immutable');
    ctx.status = 200;
    if (ctx.fresh) {
      ctx.status = 304;
      return;
    }
    ctx.body = code;
  });
}
