/**
 * The control API's wire types, shared by the gateway (which serves them) and the CLI (which
 * reads them). Every error body is {@link ErrorBody}. Routes, scopes and bodies:
 *
 * | route | scope | request | response |
 * |---|---|---|---|
 * | PUT /v1/functions/NAME | deploy | {@link DeployRequest} | 201 {@link DeployResponse} |
 * | GET /v1/functions | invoke | | {@link FunctionListResponse} |
 * | GET /v1/functions/NAME | invoke | | {@link FunctionView} |
 * | GET /v1/functions/NAME/versions | invoke | | {@link VersionListResponse} |
 * | POST /v1/functions/NAME/rollback | deploy | {@link RollbackRequest} | {@link FunctionView} |
 * | DELETE /v1/functions/NAME | deploy | | 204 |
 * | GET /v1/functions/NAME/logs?after=SEQ&limit=N&invocation=ID | invoke | | {@link LogListResponse} |
 * | POST /v1/functions/NAME/invocations[?wait=true] | invoke | any JSON event | 202 {@link AcceptedResponse} + Location, or 200 {@link InvocationView} with wait |
 * | GET /v1/invocations/ID | invoke | | {@link InvocationView} |
 * | GET /v1/bundles/SHA | node | | the bundle, application/javascript |
 * | GET /v1/nodes | invoke | | {@link NodeListResponse} |
 * | GET /healthz, GET /readyz | none | | {@link HealthResponse} |
 * | ANY /fn/NAME/... | none (or invoke when triggers.http.public is false) | passed to fetch() | the function's response |
 *
 * Scopes nest: admin ⊃ deploy ⊃ invoke. `node` is for runtime nodes only (bundles, function
 * list); admin may do everything a node does.
 */
import type { ErrorData } from './errors.ts';
import type { Manifest } from './manifest.ts';
import type { NodeInfo } from './messages.ts';
import type { InvocationRecord, LogRecord } from './store.ts';

export interface ErrorBody {
  error: ErrorData & { callId?: string };
}

export interface DeployRequest {
  /** fn.json contents; validated by the gateway too. */
  manifest: unknown;
  /** The esbuild bundle (IIFE assigning the module to `globalThis.__fjord_module`). */
  bundle: string;
}

export interface VersionView {
  version: number;
  bundleSha: string;
  bundleSize: number;
  createdAt: string;
  active: boolean;
  manifest: Manifest;
}

export interface FunctionView {
  name: string;
  version: number;
  runtime: Manifest['runtime'];
  /** Path of its HTTP trigger on the gateway, e.g. `/fn/hello`. */
  url: string;
  createdAt: string;
  updatedAt: string;
  manifest: Manifest;
  bundleSha: string;
  bundleSize: number;
}

export interface DeployResponse {
  function: FunctionView;
  /** True when this deploy created a new version; false when the bundle and manifest were unchanged. */
  created: boolean;
}

export interface FunctionListResponse {
  functions: FunctionView[];
}

export interface VersionListResponse {
  versions: VersionView[];
}

export interface RollbackRequest {
  /** Version to activate; the one before the active version when absent. */
  version?: number;
}

export interface LogListResponse {
  logs: LogRecord[];
  /** Pass as `after` to get only newer records. */
  next: number;
}

export interface AcceptedResponse {
  id: string;
}

export interface InvocationView extends Omit<
  InvocationRecord,
  'queuedAt' | 'startedAt' | 'endedAt'
> {
  queuedAt: string;
  startedAt?: string;
  endedAt?: string;
  logs: Pick<LogRecord, 'ts' | 'level' | 'message'>[];
}

export interface NodeListResponse {
  nodes: (NodeInfo & { lastSeen: string })[];
}

export interface HealthResponse {
  status: 'ok' | 'unavailable';
  broker?: string;
  store?: string;
}

/** The global the bundler assigns the function module to inside an isolate or container. */
export const MODULE_GLOBAL = '__fjord_module';
