import { FjordError } from '../../core/errors.ts';
import type { TokenRecord, TokenScope } from '../../core/store.ts';
import type { GatewayContext, GatewayMiddleware } from '../gateway-context.ts';
import type { TokenVerifier } from '../token-cache.ts';

/**
 * What a token of each scope may do. admin ⊃ deploy ⊃ invoke; `node` is apart, for runtime
 * nodes fetching functions and bundles, and admin may do that too.
 */
const GRANTS: Readonly<Record<TokenScope, ReadonlySet<TokenScope>>> = {
  admin: new Set(['admin', 'deploy', 'invoke', 'node']),
  deploy: new Set(['deploy', 'invoke']),
  invoke: new Set(['invoke']),
  node: new Set(['node']),
};

const BEARER = /^Bearer +([^\s]+) *$/i;

/** True when a token of scope `held` may do what needs `needed`. */
export function grants(held: TokenScope, needed: TokenScope): boolean {
  return GRANTS[held].has(needed);
}

/**
 * Checks the request's bearer token and that its scope grants one of `accepted`; remembers the
 * token in `ctx.state.token`. 401 (with `WWW-Authenticate`, RFC 6750) when the token is missing
 * or unknown, 403 when its scope is not enough.
 */
export async function authenticate(
  ctx: GatewayContext,
  tokens: TokenVerifier,
  accepted: readonly TokenScope[],
): Promise<TokenRecord> {
  const match = BEARER.exec(ctx.get('Authorization'));
  // A dashboard session (a cookie, reads only: see session-cookie.ts) stands in for the token.
  const { session } = ctx.state;
  if (match?.[1] === undefined && session !== undefined) return allow(ctx, session, accepted);
  if (match?.[1] === undefined) {
    ctx.set('WWW-Authenticate', 'Bearer realm="fjord"');
    throw new FjordError(
      'UNAUTHORIZED',
      'missing bearer token: send "Authorization: Bearer <token>" (fn up writes one to .fn/credentials.json)',
    );
  }
  const token = await tokens.verifyToken(match[1]);
  if (token === undefined) {
    ctx.set('WWW-Authenticate', 'Bearer realm="fjord", error="invalid_token"');
    throw new FjordError('UNAUTHORIZED', 'invalid or revoked token');
  }
  return allow(ctx, token, accepted);
}

/** Checks the scope of an authenticated token and remembers it for the request. */
function allow(
  ctx: GatewayContext,
  token: TokenRecord,
  accepted: readonly TokenScope[],
): TokenRecord {
  if (!accepted.some((scope) => grants(token.scope, scope))) {
    throw new FjordError(
      'FORBIDDEN',
      `a token with scope "${token.scope}" may not do this: it needs ${accepted.map((s) => `"${s}"`).join(' or ')}`,
    );
  }
  ctx.state.token = token;
  return token;
}

/**
 * Middleware form of {@link authenticate} for routes with a fixed scope. A token the cache
 * verified recently is checked without a promise; anything else (no token, an unknown one, a
 * session) goes through {@link authenticate}.
 */
export function requireScope(tokens: TokenVerifier, ...accepted: TokenScope[]): GatewayMiddleware {
  return (ctx, next) => {
    const bearer = BEARER.exec(ctx.get('Authorization'))?.[1];
    const known = bearer === undefined ? undefined : tokens.known?.(bearer);
    if (known !== undefined) {
      allow(ctx, known, accepted);
      return next();
    }
    return authenticate(ctx, tokens, accepted).then(() => next());
  };
}
