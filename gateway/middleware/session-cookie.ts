import { SESSION_COOKIE, type SessionStore } from '../dashboard/sessions.ts';
import type { GatewayMiddleware } from '../gateway-context.ts';

/**
 * Resolves the dashboard's session cookie into `ctx.state.session`, for control API reads only:
 * GET and HEAD requests under `/v1/` without an Authorization header (never a function's own
 * routes, whose GETs may well change something). Anything that changes state still needs the bearer
 * token in a header, which another site cannot make a browser send (CSRF), whatever the cookie's
 * SameSite attribute does. The cookie only stands in for the token where EventSource and plain
 * page loads cannot send a header.
 */
export function sessionCookie(sessions: SessionStore): GatewayMiddleware {
  // Not async: nothing to do after the rest, whose promise it hands on.
  return (ctx, next) => {
    const read = ctx.method === 'GET' || ctx.method === 'HEAD';
    if (read && ctx.path.startsWith('/v1/') && ctx.get('Authorization') === '') {
      const id = ctx.cookies.get(SESSION_COOKIE);
      const session = id === undefined || id === '' ? undefined : sessions.resolve(id);
      if (session !== undefined) ctx.state.session = session.token;
    }
    return next();
  };
}
