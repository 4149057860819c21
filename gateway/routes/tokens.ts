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
 * once, and ends its dashboard sessions opened with it; other gateways stop believing it when their cache entry expires (tokenCacheTtlMs).
 * Deleting the token the request itself carries is allowed.
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
    // Forgotten even when the store had no such row (another gateway deleted it): this gateway
    // may still believe it, in its cache or in dashboard sessions opened with it.
    deps.tokens.forget(id);
    deps.sessions.closeForToken(id);
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

function toView(record: TokenRecord): TokenView {
  return {
    id: record.id,
    scope: record.scope,
    label: record.label,
    createdAt: new Date(record.createdAt).toISOString(),
  };
}
