/**
 * The dashboard's wire types: the live events of `GET /v1/events`, `GET /v1/overview` and
 * `GET|POST /v1/session`. Types only, shared by the gateway and the browser script
 * (gateway/dashboard/app/), which is why nothing here imports runtime code.
 */
import type { ErrorData } from '../../core/errors.ts';
import type { Manifest } from '../../core/manifest.ts';
import type { NodeInfo } from '../../core/messages.ts';
import type { InvocationStatus } from '../../core/store.ts';

/** One invocation's latest known state, as far as this gateway has seen it. */
export interface InvocationSummary {
  id: string;
  fn: string;
  status: InvocationStatus;
  attempts: number;
  version?: number;
  mode?: 'sync' | 'async';
  node?: string;
  /** Epoch ms of the change this summary reports. */
  at: number;
  queuedAt?: number;
  startedAt?: number;
  endedAt?: number;
  durationMs?: number;
  /** What a token holder may see of the error (platform faults say "internal error"). */
  error?: Pick<ErrorData, 'code' | 'message'>;
}

/** A runtime node as the dashboard shows it. */
export interface NodeSummary extends NodeInfo {
  /** Epoch ms of its last heartbeat. */
  lastSeen: number;
  /** False once it missed the heartbeats a node may miss. */
  up: boolean;
}

/** The live events of a gateway: the `type` is the SSE event name, the `data` its JSON. */
export type GatewayEvent =
  | { type: 'invocation'; data: InvocationSummary }
  | { type: 'function'; data: { name: string; change: 'deployed' | 'deleted'; version?: number } }
  | { type: 'node'; data: NodeSummary }
  | { type: 'dead-letter'; data: { fn: string; id: string; code: string } }
  /** Every function's counts, whenever one changed (gateway/dashboard/queue-feed.ts). */
  | { type: 'queues'; data: { functions: QueueCounts[] } };

/** A function's queue depth on the broker and its dead letters, as `OverviewFunction` has them. */
export type QueueCounts = Pick<OverviewFunction, 'name' | 'queued' | 'deadLetters'>;

/** A function as the dashboard lists it. */
export interface OverviewFunction {
  name: string;
  version: number;
  runtime: Manifest['runtime'];
  url: string;
  /** One line per trigger, e.g. `HTTP (public)`, `cron @hourly UTC`, `queue orders`. */
  triggers: string[];
  /** Epoch ms of the last deploy or rollback. */
  updatedAt: number;
  /**
   * Invocations waiting (queued or retrying) among those this gateway saw lately: a lower bound
   * with several gateways; `queued` is the broker's own count.
   */
  waiting: number;
  /**
   * Invocations waiting in its queue on the broker (sampled at most a second ago, for every
   * gateway alike); absent when the broker could not tell.
   */
  queued?: number;
  /** Entries in its dead-letter queue (from the store: exact, shared by every gateway). */
  deadLetters: number;
}

/** `GET /v1/overview`: everything the dashboard shows, in one read. */
export interface OverviewResponse {
  /** The heartbeat interval, so a page can tell when a node goes quiet between events. */
  heartbeatMs: number;
  /** Epoch ms on the gateway's clock, to compare `lastSeen` with. */
  now: number;
  functions: OverviewFunction[];
  /** Newest first: what this gateway saw since it started (at most the configured number). */
  invocations: InvocationSummary[];
  nodes: NodeSummary[];
}

/** What the session routes answer: who is logged in, never the token. */
export interface SessionView {
  scope: string;
  label: string;
  /** ISO 8601; absent when the request authenticated with a bearer token, not a session. */
  expiresAt?: string;
}
