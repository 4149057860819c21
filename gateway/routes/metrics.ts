import type { GatewayDeps, GatewayRouter } from '../gateway-context.ts';
import { requireScope } from '../middleware/auth.ts';

/**
 * `GET /metrics` in the Prometheus text format. It names every function, so it takes a token
 * like the rest of the control API (Prometheus sends one with `authorization.credentials`).
 */
export function registerMetricsRoute(router: GatewayRouter, deps: GatewayDeps): void {
  router.get('/metrics', requireScope(deps.tokens, 'invoke', 'node'), async (ctx) => {
    const { contentType, text } = await deps.metrics.render();
    ctx.type = contentType;
    ctx.body = text;
  });
}
