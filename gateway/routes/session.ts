import { FjordError } from '../../core/errors.ts';
import { SESSION_COOKIE } from '../dashboard/sessions.ts';
import type { SessionView } from '../dashboard/wire.ts';
import type { GatewayContext, GatewayDeps, GatewayRouter } from '../gateway-context.ts';
import { authenticate, grants } from '../middleware/auth.ts';
import { readJson } from '../middleware/read-body.ts';
import { isPlainObject } from './params.ts';

/**
 * The dashboard's login. `POST /v1/session` with `{"token": "..."}` trades a token (scope invoke
 * or above) for an HttpOnly, SameSite=Strict cookie holding a random session id; `GET` says who
 * is logged in; `DELETE` logs out. The token travels only in this request's body: never in a
 * URL, the page or the cookie.
 */
export function registerSessionRoutes(router: GatewayRouter, deps: GatewayDeps): void {
  const { store, sessions } = deps;

  router.post('/v1/session', async (ctx) => {
    const body = await readJson(ctx, deps.limits.control);
    if (!isPlainObject(body) || typeof body.token !== 'string' || body.token === '') {
      throw new FjordError('BAD_REQUEST', 'expected a JSON object {"token": "..."}');
    }
    const token = await store.verifyToken(body.token);
    if (token === undefined) throw new FjordError('UNAUTHORIZED', 'invalid or revoked token');
    if (!grants(token.scope, 'invoke')) {
      throw new FjordError(
        'FORBIDDEN',
        `a token with scope "${token.scope}" cannot open the dashboard: it needs "invoke" or above`,
      );
    }
    const session = sessions.open(token);
    setCookie(ctx, session.id, sessions.ttlMs);
    deps.logger.info({ scope: token.scope, tokenId: token.id }, 'dashboard session opened');
    ctx.status = 201;
    ctx.body = {
      scope: token.scope,
      label: token.label,
      expiresAt: new Date(session.expiresAt).toISOString(),
    } satisfies SessionView;
  });

  router.get('/v1/session', async (ctx) => {
    const token = await authenticate(ctx, deps.tokens, ['invoke']);
    const id = ctx.state.session === undefined ? undefined : ctx.cookies.get(SESSION_COOKIE);
    const session = id === undefined ? undefined : sessions.resolve(id);
    ctx.body = {
      scope: token.scope,
      label: token.label,
      ...(session === undefined ? {} : { expiresAt: new Date(session.expiresAt).toISOString() }),
    } satisfies SessionView;
  });

  // Logging out needs no token: ending the session the cookie names is all it can do.
  router.delete('/v1/session', (ctx) => {
    const id = ctx.cookies.get(SESSION_COOKIE);
    if (id !== undefined && id !== '') sessions.close(id);
    setCookie(ctx, null);
    ctx.status = 204;
  });
}

/** Sets the session cookie; `null` clears it (an expiry in the past). */
function setCookie(ctx: GatewayContext, value: string | null, maxAgeMs?: number): void {
  ctx.cookies.set(SESSION_COOKIE, value, {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    // Browsers keep a Secure cookie off plain HTTP, where `fn up` serves by default.
    secure: ctx.secure,
    overwrite: true,
    ...(maxAgeMs === undefined ? {} : { maxAge: maxAgeMs }),
  });
}
