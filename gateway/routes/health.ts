import type { HealthResponse } from '../../core/api.ts';
import type { GatewayDeps, GatewayRouter } from '../gateway-context.ts';

/**
 * `/healthz`: the process serves requests (liveness; restart it when this fails).
 * `/readyz`: the broker is up and the store answers (readiness; route traffic elsewhere while
 * this fails). Neither needs a token, so load balancers and orchestrators can probe them.
 */
export function registerHealthRoutes(router: GatewayRouter, deps: GatewayDeps): void {
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' } satisfies HealthResponse;
  });

  router.get('/readyz', async (ctx) => {
    const broker = deps.broker.state;
    const store = await probeStore(deps);
    const ready = broker === 'up' && store === 'ok';
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ok' : 'unavailable', broker, store } satisfies HealthResponse;
  });
}

/** One indexed read, bounded in time: a hung store must make /readyz fail, not hang. */
async function probeStore(deps: GatewayDeps): Promise<'ok' | 'unavailable'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'unavailable'>((resolve) => {
    timer = setTimeout(resolve, deps.readyTimeoutMs, 'unavailable');
  });
  const read = deps.store.getInvocation('readiness-probe').then(
    () => 'ok' as const,
    (error: unknown) => {
      deps.logger.warn({ err: error }, 'store probe failed');
      return 'unavailable' as const;
    },
  );
  try {
    return await Promise.race([read, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
