/**
 * What travels on the broker between gateways and runtime nodes. Plain JSON only: no class
 * instances, no amqplib or isolated-vm types. Binary bodies travel base64-encoded.
 */
import type { ErrorData } from './errors.ts';
import type { QueueTrigger } from './manifest-queue.ts';
import type { RetryConfig } from './retry-policy.ts';

/** Everything a node needs to run a function version without reading the store. */
export interface FunctionSpec {
  name: string;
  version: number;
  /** sha256 of the bundle; nodes fetch and cache bundles by it. */
  bundleSha: string;
  runtime: 'isolate' | 'container';
  memoryMb: number;
  timeoutMs: number;
  concurrency: number;
  /** fn.json `limits.concurrency`: most invocations at once across all nodes (absent: no cap). */
  clusterConcurrency?: number;
  env: Record<string, string>;
  /** fn.json `egress`: hosts `fetch` may reach (absent: none). */
  egress?: { allow: string[]; allowPrivate?: boolean };
  /** fn.json `cpuMs`: CPU time one invocation may use (absent: only the wall-clock deadline). */
  cpuMs?: number;
  /**
   * fn.json `secrets`: the names only. Nodes fetch the values per invocation (core/secrets.ts),
   * so they never travel on the broker.
   */
  secrets?: string[];
  /** Container functions only (absent: the container executor's defaults). */
  network?: boolean;
  cpus?: number;
  pidsLimit?: number;
  /** A local image FROM the base image to run instead of the base image itself. */
  image?: string;
  /** sha256 of `image` saved as a tarball on the gateway (`GET /v1/images/SHA`), when it has it. */
  imageSha?: string;
  /** fn.json `retries` (absent: the defaults of core/retry-policy.ts). */
  retries?: RetryConfig;
  /** fn.json `maxEventAgeMs` (absent: the default of core/retry-policy.ts). */
  maxEventAgeMs?: number;
  /** fn.json `triggers.queue`: nodes consume this queue in batches (runtime/queue-*.ts). */
  queue?: QueueTrigger;
}

/** An HTTP request for a `fetch` handler. */
export interface HttpRequestData {
  method: string;
  /** Absolute URL as the function sees it (prefix `/fn/NAME` removed). */
  url: string;
  headers: [string, string][];
  /** base64; absent for an empty body. */
  body?: string;
}

/** An HTTP response from a `fetch` handler. */
export interface HttpResponseData {
  status: number;
  headers: [string, string][];
  /** base64; absent for an empty body. */
  body?: string;
}

export type InvocationPayload =
  { kind: 'http'; request: HttpRequestData } | { kind: 'event'; data: unknown };

export interface InvocationMessage {
  id: string;
  callId: string;
  fn: FunctionSpec;
  /** sync: a caller waits for the reply; async: the result is only recorded. */
  mode: 'sync' | 'async';
  payload: InvocationPayload;
  /** Epoch ms when the gateway accepted it. */
  acceptedAt: number;
  /** Epoch ms after which nobody waits for a sync reply; absent for async. */
  replyBy?: number;
  /**
   * Attempts made before this copy of the message was published (a retry or a redrive publishes
   * a new copy); absent means 0. A delivery's attempt is this plus the copy's own deliveries.
   */
  priorAttempts?: number;
  /** Set by a redrive: the retry budget and the event age count from this attempt and time. */
  redrive?: { fromAttempt: number; at: number };
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogEntry {
  /** Epoch ms. */
  ts: number;
  level: LogLevel;
  message: string;
}

/**
 * What follows a failed async attempt: another attempt, due at `at` (epoch ms), or the
 * function's dead-letter queue.
 */
export type AttemptFollowUp = { action: 'retry'; at: number } | { action: 'dead' };

export interface InvocationResult {
  id: string;
  callId: string;
  fn: string;
  version: number;
  node: string;
  attempt: number;
  status: 'succeeded' | 'failed';
  startedAt: number;
  endedAt: number;
  coldStart: boolean;
  /** CPU time spent inside the function, when the executor can measure it. */
  cpuMs?: number;
  response?: HttpResponseData;
  /** Return value of an event handler (JSON). */
  value?: unknown;
  error?: ErrorData;
  logs: LogEntry[];
  /** Set on a failed async attempt that is not the end: a retry follows, or the dead letters. */
  next?: AttemptFollowUp;
  /**
   * `queue` for a queue trigger's batch, which no gateway accepted (a node consumed it straight
   * from its queue); absent otherwise, where the response says http or event.
   */
  trigger?: 'queue';
}

/** The trigger an invocation's record shows, from its result (see {@link InvocationResult.trigger}). */
export function triggerOfResult(result: InvocationResult): 'http' | 'event' | 'queue' {
  if (result.trigger !== undefined) return result.trigger;
  return result.response === undefined ? 'event' : 'http';
}

/**
 * The mode of a record a result creates: nobody waits on a queue batch (async); any other
 * result without an acceptance record before it is a sync call's.
 */
export function modeOfResult(result: InvocationResult): 'sync' | 'async' {
  return result.trigger === 'queue' ? 'async' : 'sync';
}

/**
 * An async invocation given up on, on its way to its function's dead-letter queue: the message
 * (to redrive it), and why. The attempt history is in the store, built from the results.
 */
export interface DeadLetter {
  message: InvocationMessage;
  /** The attempt that gave up: the last one run, or the delivery refused. */
  attempt: number;
  error: ErrorData;
  /** The node that gave up (`broker` when the broker did). */
  node: string;
  /** Epoch ms. */
  deadAt: number;
  /**
   * True when the attempt ran (its result travels on the results queue); false when the
   * delivery was refused before running (poison message, expired event, function gone).
   */
  ran: boolean;
}

/** Progress reports that flow from nodes to gateways on the durable results queue. */
export type ResultEvent =
  | { type: 'started'; id: string; fn: string; node: string; attempt: number; startedAt: number }
  | {
      type: 'finished';
      result: InvocationResult;
      /**
       * Set on a sync call's result, which reaches the results queue only beside its reply (or in
       * place of a reply nobody recorded): a gateway that recorded it from the reply counted it
       * already, so this copy is counted only when nobody recorded it before.
       */
      sync?: true;
    };

/**
 * The wire form of results messages (both brokers): one event is sent as itself, the single
 * form that gateways of every version read; a burst of several is a JSON array of them.
 */
export function resultsBody(events: readonly ResultEvent[]): unknown {
  return events.length === 1 ? events[0] : events;
}

/** The events of a results message in either form, in their order. */
export function resultsOfBody(body: unknown): readonly ResultEvent[] {
  return Array.isArray(body) ? (body as ResultEvent[]) : [body as ResultEvent];
}

/**
 * A burst handler that hands the events to `handler` one at a time, in order (how every broker
 * implements `consumeResults` on top of `consumeResultBursts`).
 */
export function oneEventAtATime(
  handler: (event: ResultEvent) => Promise<void>,
): (events: readonly ResultEvent[]) => Promise<void> {
  return async (events) => {
    for (const event of events) await handler(event);
  };
}

/**
 * Facts a node reports about itself in every heartbeat. The optional fields came later: a node
 * of an older version (mid rolling upgrade) leaves them out.
 */
export interface NodeInfo {
  id: string;
  hostname: string;
  startedAt: number;
  /** `draining`: taking no new work (`fn node drain`, or stopping); `inflight` is what is left. */
  state: 'running' | 'draining';
  inflight: number;
  functions: string[];
  /**
   * Invocations it takes at once: the sum of its consumed functions' concurrency (prefetch);
   * 0 while draining.
   */
  capacity?: number;
  /** The host's 1-minute load average and CPU count. */
  loadAvg?: number;
  cpus?: number;
  /** Warm instances by runtime (booted isolates, live containers). */
  warm?: Record<FunctionSpec['runtime'], number>;
  /** Runtimes it runs: `container` only while its Docker engine answered at start. */
  runtimes?: FunctionSpec['runtime'][];
  /** The Fjord version it runs. */
  version?: string;
  /** Its heartbeat interval: it counts as down after three intervals without one. */
  heartbeatMs?: number;
}

/** Announcements on the control fanout: every gateway and node hears every one. */
export type ControlEvent =
  | { type: 'deployed'; fn: FunctionSpec }
  | { type: 'deleted'; name: string }
  /** Nodes skip this invocation when it is delivered (it was queued or waiting to retry). */
  | { type: 'cancelled'; fn: string; id: string }
  | { type: 'heartbeat'; node: NodeInfo }
  /** `fn node drain` (drain: true) or `fn node undrain`: only the node with this id acts. */
  | { type: 'drain'; node: string; drain: boolean }
  /** A control API token was deleted: every gateway forgets it and ends its dashboard sessions. */
  | { type: 'token-deleted'; id: string };

/**
 * A queue message as a function receives it: the body decoded by content type (JSON parsed,
 * text/* as a string, anything else as base64 for an ArrayBuffer).
 */
export interface QueueMessageData {
  id: string;
  /** Epoch ms. */
  timestamp: number;
  attempts: number;
  headers: Record<string, string>;
  contentType?: string;
  body: { json: unknown } | { text: string } | { base64: string };
}

/** The event payload of a queue batch: a Workers module gets it in `queue(batch, env, ctx)`. */
export interface QueueBatchEvent {
  type: 'queue';
  queue: string;
  messages: QueueMessageData[];
}

/** What the function decided for one message; null: nothing explicit (the outcome decides). */
export type QueueDecision = { action: 'ack' } | { action: 'retry'; delaySeconds?: number } | null;

/**
 * What a queue batch's run returns instead of a value: one decision per message, by position,
 * and the error when the handler threw (messages without a decision are retried then).
 */
export interface QueueBatchOutcome {
  type: 'queue-outcome';
  decisions: QueueDecision[];
  error?: ErrorData;
  /** What the handler sent with ctx.queues.send(), in order; published before any settling. */
  sends?: QueueSend[];
}

/**
 * One message a function sent into a queue (ctx.queues.send / sendBatch), or to an exchange
 * (ctx.queues.publish): then `queue` is empty and the exchange routes it by `routingKey`.
 */
export interface QueueSend {
  queue: string;
  exchange?: string;
  routingKey?: string;
  body: QueueMessageData['body'];
  contentType: string;
}

/** How many queues a message may pass through functions' sends: a loop ends here. */
export const MAX_QUEUE_HOPS = 16;
