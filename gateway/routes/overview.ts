import type { Manifest } from '../../core/manifest.ts';
import type { InvocationStatus } from '../../core/store.ts';
import type { OverviewResponse } from '../dashboard/wire.ts';
import type { GatewayDeps, GatewayRouter } from '../gateway-context.ts';
import { requireScope } from '../middleware/auth.ts';

const WAITING: ReadonlySet<InvocationStatus> = new Set(['queued', 'retrying']);

/** `GET /v1/overview` (scope invoke): functions, recent invocations, queue depths and nodes. */
export function registerOverviewRoute(router: GatewayRouter, deps: GatewayDeps): void {
  router.get('/v1/overview', requireScope(deps.tokens, 'invoke'), async (ctx) => {
    const { store } = deps;
    const [records, invocations] = [await store.listFunctions(), deps.recent.list()];
    const deadLetters = await Promise.all(records.map((r) => store.countDeadLetters(r.name)));
    // Shared with load shedding and /metrics, so a dashboard poll adds no broker round trips.
    const depths = await deps.depths.current().catch(() => deps.depths.last);
    const waiting = new Map<string, number>();
    for (const invocation of invocations) {
      if (WAITING.has(invocation.status)) {
        waiting.set(invocation.fn, (waiting.get(invocation.fn) ?? 0) + 1);
      }
    }
    ctx.body = {
      heartbeatMs: deps.heartbeatMs,
      now: deps.now(),
      functions: records.map((record, i) => ({
        name: record.name,
        version: record.activeVersion,
        runtime: record.active.manifest.runtime,
        url: `/fn/${record.name}`,
        triggers: describeTriggers(record.active.manifest),
        updatedAt: record.updatedAt,
        waiting: waiting.get(record.name) ?? 0,
        deadLetters: deadLetters[i] ?? 0,
        ...queued(depths?.byFunction.get(record.name)),
      })),
      invocations,
      nodes: deps.nodes.summaries(),
    } satisfies OverviewResponse;
  });
}

function queued(depth: number | undefined): { queued?: number } {
  return depth === undefined ? {} : { queued: depth };
}

/** The triggers of a manifest, one short line each. */
export function describeTriggers(manifest: Manifest): string[] {
  const { http, schedule, queue } = manifest.triggers;
  const lines = [`HTTP (${http.public ? 'public' : 'token'})`];
  if (schedule !== undefined) {
    lines.push(`cron ${schedule.cron} ${schedule.timezone ?? 'UTC'}`);
  }
  if (queue !== undefined) {
    lines.push(
      queue.exchange === undefined
        ? `queue ${queue.queue}`
        : `queue ${queue.queue} ← ${queue.exchange} ${queue.routingKey ?? ''}`.trimEnd(),
    );
  }
  return lines;
}
