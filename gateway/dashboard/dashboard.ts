import type { GatewayDeps, GatewayRouter } from '../gateway-context.ts';
import type { EventHub } from '../events.ts';
import type { ResolvedGatewayOptions } from '../gateway-options.ts';
import { registerEventRoutes } from '../routes/events.ts';
import { registerOverviewRoute } from '../routes/overview.ts';
import { registerSessionRoutes } from '../routes/session.ts';
import { registerPageRoutes } from './page.ts';
import { RecentInvocations } from './recent-invocations.ts';
import { SessionStore } from './sessions.ts';

/** The per-gateway state the dashboard keeps: logins and the invocations seen lately. */
export function createDashboardState(
  options: ResolvedGatewayOptions,
  events: EventHub,
): { sessions: SessionStore; recent: RecentInvocations } {
  const { dashboard, now } = options;
  return {
    sessions: new SessionStore({
      ttlMs: dashboard.sessionTtlMs,
      maxSessions: dashboard.maxSessions,
      now,
    }),
    recent: new RecentInvocations(events, dashboard.recentInvocations),
  };
}

/** The page at `/` and the reads it makes: session, overview and the live event stream. */
export function registerDashboardRoutes(router: GatewayRouter, deps: GatewayDeps): void {
  registerPageRoutes(router);
  registerSessionRoutes(router, deps);
  registerOverviewRoute(router, deps);
  registerEventRoutes(router, deps);
}
