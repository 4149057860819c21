import type { TokenCreateResponse, TokenListResponse, TokenView } from '../../core/api.ts';
import { FjordError } from '../../core/errors.ts';
import type { TokenRecord } from '../../core/store.ts';
import type { GatewayDeps, GatewayRouter } from '../gateway-context.ts';
import { requireScope } from '../middleware/auth.ts';
import { readJson } from '../middleware/read-body.ts';
import { createTokenRequestValidator } from './token-request.ts';

/**
 * Control API tokens, for admins only: create one of any scope (the plaintext is answered once,
 * only its hash is kept), list the records, delete one. This gateway forgets a deleted token at
 * once and ends its dashboard sessions opened with it; the other gateways do the same when they
 * hear the `token-deleted` notice on the control fanout. The notice is not durable: a gateway
 * that misses it stops believing the token when its cache entry expires (tokenCacheTtlMs), and
 * its sessions of that token last until they expire. Deleting the token the request itself
 * carries is allowed.
 */
export function registerTokenRoutes(router: GatewayRouter, deps: GatewayDeps): void {
  const admin = requireScope(deps.tokens, 'admin');
  const validate = createTokenRequestValidator();

  router.post('/v1/tokens', admin, async (ctx) => {
    const { scope, label = '' } = validate(await readJson(ctx, deps.limits.control));
    const { record, token } = await deps.store.createToken(scope, label);
    deps.logger.info({ tokenId: record.id, scope, by: ctx.state.token?.id }, 'token created');
    ctx.status = 201;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { token, record: toView(record) } satisfies TokenCreateResponse;
  });

  router.get('/v1/tokens', admin, async (ctx) => {
    const tokens = await deps.store.listTokens();
    ctx.body = { tokens: tokens.map(toView) } satisfies TokenListResponse;
  });

  router.delete('/v1/tokens/:id', admin, async (ctx) => {
    const id = ctx.params.id ?? '';
    const deleted = await deps.store.deleteToken(id);
    // Forgotten and announced even when the store had no such row (another gateway deleted it):
    // this gateway may still believe it, and deleting again re-sends a notice that was lost.
    forgetToken(deps, id);
    await deps.broker.announce({ type: 'token-deleted', id }).catch((error: unknown) => {
      deps.logger.warn({ err: error, tokenId: id }, 'token deletion not announced to gateways');
    });
    if (!deleted) {
      throw new FjordError(
        'TOKEN_NOT_FOUND',
        `no token has id "${id.slice(0, 64)}": list them with fn token ls (GET /v1/tokens)`,
      );
    }
    deps.logger.info({ tokenId: id, by: ctx.state.token?.id }, 'token deleted');
    ctx.status = 204;
  });
}

/**
 * Makes this gateway stop believing the token `id` (deleted here, or announced deleted by
 * another gateway): its cache entry goes, and so do the dashboard sessions opened with it.
 */
export function forgetToken(deps: Pick<GatewayDeps, 'tokens' | 'sessions'>, id: string): void {
  deps.tokens.forget(id);
  deps.sessions.closeForToken(id);
}

function toView(record: TokenRecord): TokenView {
  return {
    id: record.id,
    scope: record.scope,
    label: record.label,
    createdAt: new Date(record.createdAt).toISOString(),
  };
}
