/**
 * Types for Fjord function authors. Global declarations, as in Cloudflare Workers, so a function
 * folder needs no import to use them: `fn init` copies this file next to `index.ts`, and
 * `fn deploy` type-checks against it (with the WebWorker library for Request, Response, URL,
 * crypto, timers and console).
 *
 * Declare your own variables by merging into {@link Env}:
 *
 * ```ts
 * interface Env { API_URL: string }
 * ```
 */

/** The variables from fn.json `env` (and, later, secrets): always strings, frozen. */
interface Env {
  readonly [name: string]: string | undefined;
}

/** Console-like logger; every line lands in the invocation's logs (`fn logs NAME`). */
interface FjordLogger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  /** Reported at level `info`. */
  log(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/** What every handler receives as `ctx`. */
interface Context {
  /** The caller's X-Call-Id (or a generated one); echoed on the response. */
  readonly callId: string;
  /** Fjord's id of this invocation (`fn status ID`). */
  readonly invocationId: string;
  /**
   * 1 on the first run. Delivery is at-least-once, so an invocation may run again after a node
   * crash: use callId/invocationId to stay idempotent.
   */
  readonly attempt: number;
  /** Epoch milliseconds by which the invocation, waitUntil work included, must have finished. */
  readonly deadline: number;
  readonly env: Env;
  /** Keeps the invocation open until `promise` settles (within the deadline); rejections are logged. */
  waitUntil(promise: Promise<unknown>): void;
  /** Accepted for Workers compatibility; Fjord has no origin to fall back to. */
  passThroughOnException(): void;
  readonly log: FjordLogger;
  /** Sends into queue triggers' queues and exchanges (fan-out, chaining). */
  readonly queues: QueueSender;
}

/** The name Cloudflare Workers code uses for {@link Context}. */
type ExecutionContext = Context;

/** One message of a queue trigger's batch (fn.json `triggers.queue`). */
interface Message<Body = unknown> {
  /** The publisher's AMQP message-id, or one Fjord generated; the same on every retry. */
  readonly id: string;
  /** When it was published (the AMQP timestamp, or when Fjord first saw it). */
  readonly timestamp: Date;
  /** application/json (and +json): parsed; text/*: a string; anything else: an ArrayBuffer. */
  readonly body: Body;
  /** The publisher's AMQP headers, as strings. */
  readonly headers: Readonly<Record<string, string>>;
  readonly contentType?: string;
  /** 1 on the first delivery; every retry and redelivery counts. */
  readonly attempts: number;
  /** Settles the message as done, even when the handler throws later. The first call wins. */
  ack(): void;
  /** Runs it again in a later batch (after `delaySeconds`, default fn.json `retryDelaySeconds`). */
  retry(options?: { delaySeconds?: number }): void;
}

/**
 * What a `queue` handler receives. Messages neither acked nor retried are acked when the handler
 * resolves, and retried when it throws; after `maxRetries` retries a message goes to the
 * function's dead-letter queue (`fn dlq ls NAME`).
 */
interface MessageBatch<Body = unknown> {
  readonly queue: string;
  readonly messages: readonly Message<Body>[];
  /** Acks every message not settled yet. */
  ackAll(): void;
  /** Retries every message not settled yet. */
  retryAll(options?: { delaySeconds?: number }): void;
}

/** `ctx.queues`: publish into another queue trigger's queue or to an exchange (chaining). */
interface QueueSender {
  /**
   * In a queue handler, published when the handler ends (returned or threw), before its batch is
   * settled; in fetch and event handlers, at once (the promise resolves once the
   * broker holds the message). contentType "json" (default) encodes the value, "text" sends a
   * string, "bytes" an ArrayBuffer or typed array. A chain of more than 16 queues fails with
   * QUEUE_LOOP_DETECTED.
   */
  send(
    queue: string,
    body: unknown,
    options?: { contentType?: 'json' | 'text' | 'bytes' },
  ): Promise<void>;
  sendBatch(
    queue: string,
    messages: Iterable<{ body: unknown; contentType?: 'json' | 'text' | 'bytes' }>,
  ): Promise<void>;
  /**
   * Publishes to an exchange: into every queue bound to it by a key that matches `routingKey`
   * (topic `*` and `#`, as RabbitMQ matches). EXCHANGE_NOT_FOUND for an exchange no queue
   * trigger binds, QUEUE_NOT_FOUND when no binding matches the key.
   */
  publish(
    exchange: string,
    routingKey: string,
    body: unknown,
    options?: { contentType?: 'json' | 'text' | 'bytes' },
  ): Promise<void>;
}

/** What a `queue` handler receives as `ctx`. */
interface QueueContext extends Context {
  readonly queues: QueueSender;
}

/**
 * What a `scheduled` handler receives on each tick of fn.json `triggers.schedule` (a default
 * export function gets the same object as its event).
 */
interface ScheduledEvent {
  readonly type: 'scheduled';
  /** Epoch milliseconds the run was scheduled for. */
  readonly scheduledTime: number;
  readonly cron: string;
}

/**
 * The object form of a function's default export (Cloudflare's `ExportedHandler`):
 *
 * ```ts
 * export default {
 *   async fetch(request, env, ctx) { return new Response('hi'); },
 * } satisfies FjordHandler;
 * ```
 */
interface FjordHandler<E = Env> {
  /** HTTP trigger: `ANY /fn/NAME/...` with the `/fn/NAME` prefix removed from the URL. */
  fetch?(request: Request, env: E, ctx: Context): Response | Promise<Response>;
  queue?(batch: MessageBatch, env: E, ctx: QueueContext): void | Promise<void>;
  scheduled?(event: ScheduledEvent, env: E, ctx: Context): void | Promise<void>;
}

/** The name Cloudflare Workers code uses for {@link FjordHandler}. */
type ExportedHandler<E = Env> = FjordHandler<E>;

/**
 * The function form of a default export, for event invocations (`fn invoke NAME --data JSON`):
 * takes the JSON event and returns a JSON-serializable result.
 */
type FjordEventHandler<Event = unknown, Result = unknown> = (
  event: Event,
  ctx: Context,
) => Result | Promise<Result>;

/** Cloudflare Workers' extension, available in Fjord too. */
interface SubtleCrypto {
  /** Compares two equally long buffers in constant time (throws when the lengths differ). */
  timingSafeEqual(a: ArrayBuffer | ArrayBufferView, b: ArrayBuffer | ArrayBufferView): boolean;
}

/**
 * Throw it when another attempt could never succeed (bad input, a refused payment): the
 * invocation fails at once, without retries or the dead-letter queue. A global, in isolates and
 * containers alike. Any other thrown error with `retryable: false` counts the same; both are
 * reported with the name `NonRetryableError` (the stack keeps the original name).
 */
declare class NonRetryableError extends Error {
  constructor(message?: string, options?: { cause?: unknown });
}
