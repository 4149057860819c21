/**
 * The one error type of Fjord. Errors cross process, isolate and broker boundaries as plain
 * {@link ErrorData} and are rebuilt with {@link FjordError.from}; branch on `code`, never on
 * `instanceof`.
 */

/** Every error code Fjord produces, with the HTTP status it maps to. */
export const ERROR_STATUS = {
  BAD_REQUEST: 400,
  INVALID_JSON: 400,
  INVALID_NAME: 400,
  INVALID_MANIFEST: 400,
  INVALID_IDEMPOTENCY_KEY: 400,
  INVALID_CALLBACK_URL: 400,
  /** A function's ctx.queues.send() would pass MAX_QUEUE_HOPS: a loop between queues, likely. */
  QUEUE_LOOP_DETECTED: 400,
  BUNDLE_REJECTED: 400,
  IMAGE_DIGEST_MISMATCH: 400,
  /** A secret key that is not an environment variable name, or an empty or too large value. */
  INVALID_SECRET: 400,
  /** FN_SECRETS_KEY or the secrets key file is not 32 bytes of base64. */
  SECRETS_KEY_INVALID: 400,
  /** POST /v1/tokens: a scope that is not admin, deploy, invoke or node. */
  INVALID_TOKEN_SCOPE: 400,
  /** POST /v1/tokens: a label that is empty, longer than 64 characters or not printable. */
  INVALID_TOKEN_LABEL: 400,
  /** A config file (--config, FN_CONFIG) that does not parse or breaks its schema. */
  INVALID_CONFIG: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  FUNCTION_NOT_FOUND: 404,
  VERSION_NOT_FOUND: 404,
  INVOCATION_NOT_FOUND: 404,
  IMAGE_NOT_FOUND: 404,
  DEAD_LETTER_NOT_FOUND: 404,
  /** `fn node drain NAME`: no node with that id or hostname has been heard from lately. */
  NODE_NOT_FOUND: 404,
  SECRET_NOT_FOUND: 404,
  /** DELETE /v1/tokens/ID: no token has that id (never created, or already deleted). */
  TOKEN_NOT_FOUND: 404,
  /** A publish to a queue that does not exist (queue triggers declare theirs at deploy). */
  QUEUE_NOT_FOUND: 404,
  /** A publish to an exchange that no queue trigger binds (or that does not exist). */
  EXCHANGE_NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  /**
   * The function does not take this kind of invocation: no fetch handler for an HTTP request, no
   * event or queue handler for an event. Final: no retry gives it one.
   */
  HANDLER_NOT_FOUND: 404,
  CONFLICT: 409,
  INVOCATION_NOT_CANCELLABLE: 409,
  /** `fn node drain NAME`: the node stopped heartbeating, so it cannot hear the drain. */
  NODE_DOWN: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_KEY_REUSED: 422,
  THROTTLED: 429,
  /** Over a rate limit of the token or the function; `Retry-After` says when a request fits. */
  RATE_LIMITED: 429,
  INTERNAL: 500,
  FUNCTION_ERROR: 502,
  FUNCTION_CRASHED: 502,
  /** The process hosting the isolate died (signal, exit, V8 fatal error) mid-invocation. */
  ISOLATE_HOST_CRASHED: 502,
  MEMORY_LIMIT_EXCEEDED: 502,
  BAD_FUNCTION_RESPONSE: 502,
  EGRESS_DENIED: 502,
  FETCH_LIMIT_EXCEEDED: 502,
  CPU_LIMIT_EXCEEDED: 502,
  DELIVERY_LIMIT_EXCEEDED: 502,
  BROKER_UNAVAILABLE: 503,
  STORE_UNAVAILABLE: 503,
  CONTAINER_RUNTIME_UNAVAILABLE: 503,
  CONTAINER_IMAGE_UNAVAILABLE: 503,
  BUNDLE_UNAVAILABLE: 503,
  NO_CAPACITY: 503,
  /** More invocations are queued than the gateway's --max-queued: load is shed until they drain. */
  OVERLOADED: 503,
  /** The gateway has no secrets key (FN_SECRETS_KEY, --secrets-key-file), so it cannot seal one. */
  SECRETS_KEY_MISSING: 503,
  /** A stored secret does not open with the gateway's key (another key sealed it). */
  SECRET_DECRYPT_FAILED: 503,
  /** A function declares a secret that is not set (yet): its invocations wait for it. */
  SECRET_NOT_SET: 503,
  /** A node could not fetch a function's secrets from the gateway. */
  SECRETS_UNAVAILABLE: 503,
  /** The isolate host process keeps failing to start; it is restarted with backoff. */
  ISOLATE_HOST_UNAVAILABLE: 503,
  INVOCATION_TIMEOUT: 504,
  EVENT_EXPIRED: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** The wire form of an error: what travels in results and appears in HTTP bodies. */
export interface ErrorData {
  code: ErrorCode;
  message: string;
  /** The function's own error name (`TypeError`, ...) when the function threw. */
  name?: string;
  /** Stack trace of a function's own error; never set for platform faults. */
  stack?: string;
  retryable?: boolean;
}

/** Codes for which another attempt may succeed. */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set([
  'BROKER_UNAVAILABLE',
  'BUNDLE_UNAVAILABLE',
  'STORE_UNAVAILABLE',
  'CONTAINER_RUNTIME_UNAVAILABLE',
  'NO_CAPACITY',
  'SECRET_NOT_SET',
  'SECRETS_UNAVAILABLE',
  'THROTTLED',
  'RATE_LIMITED',
  'OVERLOADED',
  'FUNCTION_CRASHED',
  'ISOLATE_HOST_CRASHED',
  'ISOLATE_HOST_UNAVAILABLE',
  'INTERNAL',
]);

export class FjordError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  /** Client errors (4xx) and function errors show their message; platform faults do not. */
  readonly expose: boolean;
  /** When a retry may succeed, in seconds: the gateway sends it as `Retry-After` (429, 503). */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; retryable?: boolean; retryAfterSeconds?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FjordError';
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.retryable = options?.retryable ?? RETRYABLE.has(code);
    this.retryAfterSeconds = options?.retryAfterSeconds;
    this.expose =
      this.status < 500 || this.status === 502 || this.status === 503 || this.status === 504;
  }

  toData(): ErrorData {
    return { code: this.code, message: this.message, retryable: this.retryable };
  }

  /** Rebuilds an error from its wire form, or wraps anything else as INTERNAL. */
  static from(value: unknown): FjordError {
    if (isFjordError(value)) return value;
    if (isErrorData(value))
      return new FjordError(value.code, value.message, { retryable: value.retryable });
    return new FjordError('INTERNAL', 'internal error', { cause: value });
  }
}

export function isFjordError(value: unknown): value is FjordError {
  if (!(value instanceof Error)) return false;
  const { code, status } = value as Error & { code?: unknown; status?: unknown };
  return typeof code === 'string' && code in ERROR_STATUS && typeof status === 'number';
}

export function isErrorData(value: unknown): value is ErrorData {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ErrorData).code === 'string' &&
    (value as ErrorData).code in ERROR_STATUS &&
    typeof (value as ErrorData).message === 'string'
  );
}
