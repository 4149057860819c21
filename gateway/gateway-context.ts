import type { Router } from '@koa/router';
import type { Middleware, ParameterizedContext } from 'koa';
import type { ErrorCode } from '../core/errors.ts';
import type { ManifestValidator } from '../core/manifest.ts';
import type { TokenRecord } from '../core/store.ts';
import type { Admission } from './admission.ts';
import type { RecentInvocations } from './dashboard/recent-invocations.ts';
import type { SessionStore } from './dashboard/sessions.ts';
import type { EventHub } from './events.ts';
import type { FunctionCatalog } from './function-catalog.ts';
import type { ResolvedGatewayOptions } from './gateway-options.ts';
import type { Invoker } from './invoker.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { NodeRegistry } from './node-registry.ts';
import type { QueueDepths } from './queue-depths.ts';
import type { TokenGate } from './token-cache.ts';

/** What the gateway's middleware keeps per request. */
export interface GatewayState {
  /** The request's call id: the client's when acceptable, a fresh one otherwise. */
  callId: string;
  /** The token the request authenticated with, once a route required one. */
  token?: TokenRecord;
  /** The token record of the dashboard session a read request came with (session-cookie.ts). */
  session?: TokenRecord;
  /** The code of the error the request ended with, for the request log. */
  errorCode?: ErrorCode;
}

/** The Koa context every gateway middleware and route sees. */
export type GatewayContext = ParameterizedContext<GatewayState>;
/** A middleware over {@link GatewayContext}. */
export type GatewayMiddleware = Middleware<GatewayState>;
/** The router routes register on. */
export type GatewayRouter = Router<GatewayState>;

/** Everything routes share, built once per gateway and passed down explicitly. */
export interface GatewayDeps extends ResolvedGatewayOptions {
  functions: FunctionCatalog;
  /** Checks bearer tokens: the store behind a short-lived cache of verified ones. */
  tokens: TokenGate;
  invoker: Invoker;
  nodes: NodeRegistry;
  metrics: GatewayMetrics;
  validateManifest: ManifestValidator;
  /** Live events of this gateway (GET /v1/events, the dashboard). */
  events: EventHub;
  /** Dashboard logins. */
  sessions: SessionStore;
  /** The invocations this gateway saw last, for GET /v1/overview. */
  recent: RecentInvocations;
  /** Rate limits and load shedding of invocation requests. */
  admission: Admission;
  /** Queue depths on the broker, sampled for load shedding, /metrics and /v1/overview. */
  depths: QueueDepths;
}
