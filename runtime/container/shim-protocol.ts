/**
 * The host side of the shim protocol (docker/shim/main.mjs): JSON over HTTP on the container's
 * unix socket. User code runs in the same process as the shim and could answer anything, so every
 * reply is validated here before it becomes a result.
 */
import { FjordError, type ErrorCode, type ErrorData } from '../../core/errors.ts';
import type {
  HttpResponseData,
  InvocationPayload,
  LogEntry,
  LogLevel,
} from '../../core/messages.ts';
import { isHeaderList, isRecord, parseJsonValue, rebuildError } from '../reply-checks.ts';

export interface LoadRequest {
  code: string;
  filename: string;
  moduleGlobal: string;
  env: Record<string, string>;
  maxResponseBytes: number;
  logLimitBytes: number;
}

export interface InvokeRequest {
  payload: InvocationPayload;
  ctx: {
    invocationId: string;
    callId: string;
    attempt: number;
    deadline: number;
    /** Names the invocation to the node's queue socket (queue-host.ts). */
    queueToken: string;
  };
}

export type Decoded<T> =
  { ok: true; value: T; logs: LogEntry[] } | { ok: false; error: ErrorData; logs: LogEntry[] };

/**
 * Codes the shim may report on behalf of the function; anything else is malformed. The queue
 * codes are an uncaught failed ctx.queues send, checked again by queue-host.ts.
 */
const SHIM_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'FUNCTION_ERROR',
  'BAD_FUNCTION_RESPONSE',
  'BAD_REQUEST',
  'HANDLER_NOT_FOUND',
  'BUNDLE_REJECTED',
  'QUEUE_NOT_FOUND',
  'QUEUE_LOOP_DETECTED',
  'EXCHANGE_NOT_FOUND',
  'BROKER_UNAVAILABLE',
]);
const LEVELS: ReadonlySet<string> = new Set<LogLevel>(['debug', 'info', 'warn', 'error']);

type Reply = Record<string, unknown>;

function malformed(what: string, logs: LogEntry[] = []): Decoded<never> {
  const message = `the container returned a malformed ${what}`;
  return { ok: false, error: new FjordError('BAD_FUNCTION_RESPONSE', message).toData(), logs };
}

/** Keeps well-formed log entries, at most `limitBytes` of messages, with a truncation marker. */
export function decodeLogs(value: unknown, limitBytes: number): LogEntry[] {
  if (!Array.isArray(value)) return [];
  const logs: LogEntry[] = [];
  let used = 0;
  for (const item of value as unknown[]) {
    if (!isRecord(item) || typeof item.message !== 'string') continue;
    used += Buffer.byteLength(item.message);
    if (used > limitBytes + 1024) {
      logs.push({
        ts: Date.now(),
        level: 'warn',
        message: `[log output truncated: more than ${limitBytes} bytes in one invocation]`,
      });
      break;
    }
    logs.push({
      ts: typeof item.ts === 'number' && Number.isFinite(item.ts) ? item.ts : Date.now(),
      level:
        typeof item.level === 'string' && LEVELS.has(item.level)
          ? (item.level as LogLevel)
          : 'info',
      message: item.message,
    });
  }
  return logs;
}

function decodeError(reply: Reply, logs: LogEntry[]): Decoded<never> {
  const error = reply.error;
  const data = isRecord(error) ? rebuildError(error, SHIM_CODES) : undefined;
  return data === undefined ? malformed('error', logs) : { ok: false, error: data, logs };
}

/** The reply to /load: the module's shape, or why it cannot run. */
export function decodeLoadReply(reply: unknown, logLimitBytes: number): Decoded<string> {
  if (!isRecord(reply)) return malformed('load reply');
  const logs = decodeLogs(reply.logs, logLimitBytes);
  if (reply.ok === false) return decodeError(reply, logs);
  if (reply.ok !== true || typeof reply.shape !== 'string') return malformed('load reply', logs);
  return { ok: true, value: reply.shape, logs };
}

/** The reply to /invoke: an HTTP response, an event handler's value, or the function's error. */
export function decodeInvokeReply(
  reply: unknown,
  kind: InvocationPayload['kind'],
  limits: { maxResponseBytes: number; logLimitBytes: number },
): Decoded<{ response?: HttpResponseData; value?: unknown }> {
  if (!isRecord(reply)) return malformed('reply');
  const logs = decodeLogs(reply.logs, limits.logLimitBytes);
  if (reply.ok === false) return decodeError(reply, logs);
  if (reply.ok !== true) return malformed('reply', logs);
  if (kind === 'http') {
    const { response } = reply;
    if (!isRecord(response)) return malformed('reply', logs);
    const { status, headers, body } = response;
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) {
      return malformed('status', logs);
    }
    if (!isHeaderList(headers)) return malformed('header list', logs);
    if (body !== undefined && typeof body !== 'string') return malformed('body', logs);
    if (body !== undefined && Buffer.byteLength(body, 'base64') > limits.maxResponseBytes) {
      return malformed('body (too large)', logs);
    }
    const value: HttpResponseData = { status, headers };
    if (body !== undefined && body !== '') value.body = body;
    return { ok: true, value: { response: value }, logs };
  }
  if (reply.json === undefined) return { ok: true, value: {}, logs };
  const parsed = parseJsonValue(reply.json, limits.maxResponseBytes);
  return parsed === undefined ? malformed('value', logs) : { ok: true, value: parsed, logs };
}
