/**
 * The Store port: functions, versions, content-addressed bundles, invocation records, logs and
 * tokens. Adapters: SQLite through node:sqlite (default) and, later, PostgreSQL. Every method is
 * async so a networked adapter fits the same contract.
 */
import type { ErrorData } from './errors.ts';
import type { Manifest } from './manifest.ts';
import type {
  DeadLetter,
  InvocationMessage,
  InvocationResult,
  LogEntry,
  LogLevel,
} from './messages.ts';
import type { SecretStore } from './secrets.ts';

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
 * - `queued`: accepted and durable on the broker, not yet picked up (or redriven).
 * - `running`: a node is executing it (or its last attempt ended and its dead letter is on the
 *   way: only the letter, recorded with it, makes it `dead`).
 * - `retrying`: an attempt failed and another one is due at `nextAttemptAt`.
 * - `succeeded`: final.
 * - `failed`: final: a sync invocation failed, or the error was not retryable.
 * - `dead`: final: no attempt left (or the event grew too old); in the dead-letter queue.
 * - `cancelled`: final: cancelled while queued or retrying; nodes skip it.
 */
export type InvocationStatus =
  'queued' | 'running' | 'succeeded' | 'failed' | 'retrying' | 'dead' | 'cancelled';

/** The statuses nothing changes any more (short of a redrive of a dead one). */
export const FINAL_STATUSES: ReadonlySet<InvocationStatus> = new Set([
  'succeeded',
  'failed',
  'dead',
  'cancelled',
]);

/** One attempt of an invocation, as its result (or the refusal to run it) reported it. */
export interface AttemptRecord {
  attempt: number;
  status: 'succeeded' | 'failed';
  node?: string;
  startedAt?: number;
  endedAt?: number;
  error?: ErrorData;
}

/**
 * The `X-Callback-Url` of an async invocation and how its delivery goes:
 * - `waiting`: the invocation has not ended yet.
 * - `pending`: due at `nextAt` (a first try, or a retry after a failed one).
 * - `delivered`: the receiver answered 2xx.
 * - `failed`: every try failed; `lastStatus`/`lastError` say how the last one did.
 */
export interface CallbackState {
  url: string;
  state: 'waiting' | 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAt?: number;
  /** The HTTP status of the last answer, when there was one. */
  lastStatus?: number;
  lastError?: string;
  deliveredAt?: number;
}

export interface InvocationRecord {
  id: string;
  callId: string;
  fn: string;
  version: number;
  mode: 'sync' | 'async';
  /** `queue`: a batch a node consumed from a queue trigger's queue. */
  trigger: 'http' | 'event' | 'queue';
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
  /** Epoch ms the next attempt is due, while `retrying`. */
  nextAttemptAt?: number;
  callback?: CallbackState;
}

/** One entry of a function's dead-letter queue: an invocation given up on, and why. */
export interface DeadLetterRecord {
  /** Position in the queue (for paging). */
  seq: number;
  fn: string;
  invocationId: string;
  callId: string;
  /** The version the last attempt ran. */
  version: number;
  attempt: number;
  node: string;
  error: ErrorData;
  queuedAt: number;
  deadAt: number;
}

export interface DeadLetterQuery {
  /** Only entries after this seq. */
  afterSeq?: number;
  limit?: number;
}

/** What {@link Store.cancelInvocation} did; undefined from it when the invocation is unknown. */
export interface CancelOutcome {
  cancelled: boolean;
  /** The record after the attempt (its status says why it was not cancelled). */
  record: InvocationRecord;
}

/** An `Idempotency-Key` to claim for a new invocation. */
export interface IdempotencyClaim {
  fn: string;
  key: string;
  invocationId: string;
  /** What the request carried, so the same key with another request can be told apart. */
  fingerprint: string;
  now: number;
  expiresAt: number;
}

/** A callback due for delivery, leased to one gateway until `leaseUntil`. */
export interface CallbackTask {
  invocationId: string;
  url: string;
  /** Tries before this one. */
  attempts: number;
}

/** How one callback try went. */
export interface CallbackOutcome {
  at: number;
  delivered: boolean;
  status?: number;
  error?: string;
  /** When to try again; absent for a delivered callback or one given up on. */
  nextAt?: number;
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

/** Secrets (core/secrets.ts) are part of it: kept sealed, per function name. */
export interface Store extends SecretStore {
  init(): Promise<void>;
  close(): Promise<void>;

  /** Creates a token; the plaintext is returned once and only its hash is kept. */
  createToken(scope: TokenScope, label: string): Promise<{ record: TokenRecord; token: string }>;
  /** Resolves the token's record, or undefined when it is unknown. Constant-time on the hash. */
  verifyToken(token: string): Promise<TokenRecord | undefined>;
  /** Every token's record, oldest first; never a secret or a hash. */
  listTokens(): Promise<TokenRecord[]>;
  /** Deletes the token with this id; false when there was none. */
  deleteToken(id: string): Promise<boolean>;

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

  /** Records an accepted async invocation, with the URL to call back when it ends. */
  createInvocation(record: InvocationRecord, options?: { callbackUrl?: string }): Promise<void>;
  /** Records that a node started an attempt; ignored once the invocation is final. */
  markStarted(id: string, node: string, attempt: number, startedAt: number): Promise<void>;
  /**
   * Records a result, its logs and its place in the attempt history; idempotent for the same
   * result delivered twice. `result.next` makes a failure `retrying` or `dead` instead of
   * `failed`. Reaching a final status makes a waiting callback due.
   */
  recordResult(result: InvocationResult): Promise<void>;
  /**
   * Records several results as {@link recordResult} does each, in one transaction: all of them
   * or, when it rejects, none (a burst of results from one broker message is redelivered whole).
   */
  recordResults(results: readonly InvocationResult[]): Promise<void>;
  getInvocation(id: string): Promise<InvocationRecord | undefined>;
  /** The attempt history, oldest first. */
  listAttempts(id: string): Promise<AttemptRecord[]>;
  listLogs(fn: string, query?: LogQuery): Promise<LogRecord[]>;
  /** Cancels a `queued` or `retrying` invocation; undefined when it does not exist. */
  cancelInvocation(id: string, at: number): Promise<CancelOutcome | undefined>;
  /**
   * Ids of the invocations cancelled at or after `since` (epoch ms), latest first, at most
   * `limit`: a node that starts late skips them (it missed their control announcements).
   */
  listCancelled(since: number, limit: number): Promise<string[]>;

  /**
   * Puts a dead letter in its function's dead-letter queue and makes the invocation `dead`.
   * Idempotent; ignores letters of deleted functions, of cancelled invocations, and stale ones
   * (an attempt already redriven).
   */
  recordDeadLetter(letter: DeadLetter): Promise<void>;
  /** Oldest first. */
  listDeadLetters(fn: string, query?: DeadLetterQuery): Promise<DeadLetterRecord[]>;
  countDeadLetters(fn: string): Promise<number>;
  getDeadLetter(
    fn: string,
    invocationId: string,
  ): Promise<(DeadLetterRecord & { message: InvocationMessage }) | undefined>;
  /**
   * Takes an entry out of the dead-letter queue once its message was enqueued again: the
   * invocation is `queued` again, with a fresh callback. False when the entry was gone.
   */
  markRedriven(fn: string, invocationId: string): Promise<boolean>;
  /** Empties the function's dead-letter queue; returns how many entries it held. */
  purgeDeadLetters(fn: string): Promise<number>;

  /**
   * Claims `Idempotency-Key` for a new invocation, unless a live claim exists: then returns
   * that claim's invocation id and fingerprint, and claims nothing.
   */
  claimIdempotencyKey(
    claim: IdempotencyClaim,
  ): Promise<{ invocationId: string; fingerprint: string } | undefined>;
  /** Drops a claim whose invocation could not be enqueued after all. */
  releaseIdempotencyKey(fn: string, key: string, invocationId: string): Promise<void>;

  /** Leases up to `limit` due callbacks to the caller until `leaseUntil`. */
  claimCallbacks(now: number, limit: number, leaseUntil: number): Promise<CallbackTask[]>;
  recordCallbackAttempt(invocationId: string, outcome: CallbackOutcome): Promise<void>;

  /**
   * Claims one tick of a function's schedule for the caller: true when this call recorded the
   * claim (the caller enqueues the tick's invocation), false when another gateway (or an
   * earlier run of this one) already had. One claim per (fn, scheduledAt), ever: that is what
   * keeps a tick to one invocation across gateways sharing the store.
   */
  claimScheduledRun(claim: ScheduledRunClaim): Promise<boolean>;
  /** Drops a claim whose invocation could not be enqueued, so the tick can be tried again. */
  releaseScheduledRun(fn: string, scheduledAt: number, invocationId: string): Promise<void>;
}

/** One tick of a schedule, claimed by the gateway that will enqueue it. */
export interface ScheduledRunClaim {
  fn: string;
  /** Epoch ms the tick was due. */
  scheduledAt: number;
  /** The invocation the tick becomes. */
  invocationId: string;
  /** Epoch ms of the claim. */
  now: number;
}

export type { LogLevel };
