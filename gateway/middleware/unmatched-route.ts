import { FjordError } from '../../core/errors.ts';
import type { GatewayMiddleware } from '../gateway-context.ts';

/**
 * Turns what no route answered into errors of the usual shape: the router leaves an unknown path
 * as Koa's bare 404, and a known path with the wrong method as 405 (or 501 for a method it does
 * not know) with an `Allow` header, which is kept.
 */
export function unmatchedRoute(): GatewayMiddleware {
  return async (ctx, next) => {
    await next();
    if (ctx.body !== undefined && ctx.body !== null) return;
    const where = `${ctx.method} ${ctx.path.slice(0, 200)}`;
    if (ctx.status === 404) throw new FjordError('ROUTE_NOT_FOUND', `no route for ${where}`);
    if (ctx.status === 405 || ctx.status === 501) {
      const allowed = ctx.response.get('Allow');
      throw new FjordError(
        'METHOD_NOT_ALLOWED',
        `method not allowed: ${where}${allowed ? ` (allowed: ${allowed})` : ''}`,
      );
    }
  };
}
