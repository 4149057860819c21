import type { NodeListResponse } from '../../core/api.ts';
import type { GatewayDeps, GatewayRouter } from '../gateway-context.ts';
import { requireScope } from '../middleware/auth.ts';

/** `GET /v1/nodes`: the runtime nodes heard from lately, with when. */
export function registerNodeRoutes(router: GatewayRouter, deps: GatewayDeps): void {
  router.get('/v1/nodes', requireScope(deps.store, 'invoke'), async (ctx) => {
    ctx.body = {
      nodes: deps.nodes.list().map(({ info, lastSeen }) => ({
        ...info,
        lastSeen: new Date(lastSeen).toISOString(),
      })),
    } satisfies NodeListResponse;
  });
}
