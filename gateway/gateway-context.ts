import type { Router } from '@koa/router';
import type { Middleware, ParameterizedContext } from 'koa';
import type { ManifestValidator } from '../core/manifest.ts';
import type { TokenRecord } from '../core/store.ts';
import type { FunctionCatalog } from './function-catalog.ts';
import type { ResolvedGatewayOptions } from './gateway-options.ts';
import type { Invoker } from './invoker.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { NodeRegistry } from './node-registry.ts';

/** What the gateway's middleware keeps per request. */
export interface GatewayState {
  /** The request's call id: the client's when acceptable, a fresh one otherwise. */
  callId: string;
  /** The token the request authenticated with, once a route required one. */
  token?: TokenRecord;
}

export type GatewayContext = ParameterizedContext<GatewayState>;
export type GatewayMiddleware = Middleware<GatewayState>;
export type GatewayRouter = Router<GatewayState>;

/** Everything routes share, built once per gateway and passed down explicitly. */
export interface GatewayDeps extends ResolvedGatewayOptions {
  functions: FunctionCatalog;
  invoker: Invoker;
  nodes: NodeRegistry;
  metrics: GatewayMetrics;
  validateManifest: ManifestValidator;
}
