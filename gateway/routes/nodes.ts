import type { NodeDrainResponse, NodeListResponse, NodeView } from '../../core/api.ts';
import { FjordError } from '../../core/errors.ts';
import type { NodeSummary } from '../events.ts';
import type { GatewayDeps, GatewayRouter } from '../gateway-context.ts';
import { requireScope } from '../middleware/auth.ts';

/**
 * `GET /v1/nodes`: the runtime nodes heard from lately, down ones included. `POST
 * /v1/nodes/NAME/drain` and `.../undrain` announce on the control fanout that the node (an id, or
 * a hostname: every node on it) stops or resumes taking work; the node's next heartbeat says so.
 */
export function registerNodeRoutes(router: GatewayRouter, deps: GatewayDeps): void {
  router.get('/v1/nodes', requireScope(deps.tokens, 'invoke'), async (ctx) => {
    const now = deps.now();
    ctx.body = {
      nodes: deps.nodes.summaries().map((node) => nodeView(node, now)),
    } satisfies NodeListResponse;
  });

  for (const drain of [true, false]) {
    const path = `/v1/nodes/:name/${drain ? 'drain' : 'undrain'}`;
    router.post(path, requireScope(deps.tokens, 'admin'), async (ctx) => {
      const name = ctx.params.name ?? '';
      const nodes = deps.nodes.find(name);
      if (nodes.length === 0) {
        throw new FjordError('NODE_NOT_FOUND', `no node "${name}": \`fn nodes\` lists them`);
      }
      const up = nodes.filter((node) => node.up);
      if (up.length === 0) {
        throw new FjordError(
          'NODE_DOWN',
          `node "${name}" is down (no heartbeat since ${new Date(nodes[0]?.lastSeen ?? 0).toISOString()}): it cannot hear a drain`,
        );
      }
      for (const node of up) await deps.broker.announce({ type: 'drain', node: node.id, drain });
      deps.logger.info(
        { nodes: up.map((n) => n.id), drain },
        drain ? 'node drain' : 'node undrain',
      );
      ctx.status = 202;
      ctx.body = { nodes: up.map((node) => node.id), drain } satisfies NodeDrainResponse;
    });
  }
}

function nodeView(node: NodeSummary, now: number): NodeView {
  const { lastSeen, up, state, ...info } = node;
  const shown: NodeView['state'] = !up
    ? 'down'
    : state === 'draining' && node.inflight === 0
      ? 'drained'
      : state;
  return {
    ...info,
    state: shown,
    lastSeen: new Date(lastSeen).toISOString(),
    lastSeenAgoMs: Math.max(0, now - lastSeen),
  };
}
