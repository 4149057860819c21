/**
 * The Store port: functions, versions, content-addressed bundles, invocation records, logs and
 * tokens. Adapters: SQLite through node:sqlite (default) and, later, PostgreSQL. Every method is
 * async so a networked adapter fits the same contract.
 */
import type { ErrorData } from './errors.ts';
import type { Manifest } from './manifest.ts';
import type { InvocationResult, LogEntry, LogLevel } from './messages.ts';

export type TokenScope = 'admin' | 'deploy' | 'invoke' | 'node';

export interface TokenRecord {
  id: string;
  scope: TokenScope;
  label: string;
  createdAt: number;
}

export interface VersionRecord {
  name: string;
  version: number;
  manifest: Manifest;
  bundleSha: string;
  bundleSize: number;
  createdAt: number;
}

export interface FunctionRecord {
  name: string;
  activeVersion: number;
  createdAt: number;
  updatedAt: number;
  /** The active version. */
  active: VersionRecord;
}

/**
 * - `queued`: accepted and durable on the broker, not yet picked up.
 * - `running`: a node is executing it.
 * - `succeeded` / `failed`: final.
 * - `retrying`: failed an attempt and will run again (issue #5).
 * - `dead`: gave up after the last attempt (issue #5).
 */
export type InvocationStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'retrying' | 'dead';

export interface InvocationRecord {
  id: string;
  callId: string;
  fn: string;
  version: number;
  mode: 'sync' | 'async';
  trigger: 'http' | 'event';
  status: InvocationStatus;
  attempts: number;
  queuedAt: number;
  startedAt?: number;
  endedAt?: number;
  durationMs?: number;
  coldStart?: boolean;
  cpuMs?: number;
  node?: string;
  /** HTTP response summary or event return value. */
  result?: unknown;
  error?: ErrorData;
}

export interface LogRecord extends LogEntry {
  seq: number;
  fn: string;
  invocationId: string;
}

export interface LogQuery {
  /** Only records with seq greater than this (for follow). */
  afterSeq?: number;
  invocationId?: string;
  limit?: number;
}

export interface Store {
  init(): Promise<void>;
  close(): Promise<void>;

  /** Creates a token; the plaintext is returned once and only its hash is kept. */
  createToken(scope: TokenScope, label: string): Promise<{ record: TokenRecord; token: string }>;
  /** Resolves the token's record, or undefined when it is unknown. Constant-time on the hash. */
  verifyToken(token: string): Promise<TokenRecord | undefined>;

  /** Stores the bundle (deduplicated by sha256) and creates the next version, made active. */
  createVersion(manifest: Manifest, bundle: string): Promise<VersionRecord>;
  getFunction(name: string): Promise<FunctionRecord | undefined>;
  listFunctions(): Promise<FunctionRecord[]>;
  listVersions(name: string): Promise<VersionRecord[]>;
  /** Makes an existing version active; rejects with VERSION_NOT_FOUND / FUNCTION_NOT_FOUND. */
  setActiveVersion(name: string, version: number): Promise<FunctionRecord>;
  /** Deletes the function, its versions and logs; false when it did not exist. */
  deleteFunction(name: string): Promise<boolean>;
  getBundle(sha: string): Promise<string | undefined>;

  createInvocation(record: InvocationRecord): Promise<void>;
  /** Records that a node started an attempt; ignored once the invocation is final. */
  markStarted(id: string, node: string, attempt: number, startedAt: number): Promise<void>;
  /** Records a result and its logs; idempotent for the same result delivered twice. */
  recordResult(result: InvocationResult): Promise<void>;
  getInvocation(id: string): Promise<InvocationRecord | undefined>;
  listLogs(fn: string, query?: LogQuery): Promise<LogRecord[]>;
}

export type { LogLevel };
