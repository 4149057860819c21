/**
 * Checks what the prelude sent back. User code shares the isolate with the prelude and could have
 * tampered with it, so every reply is validated here before it becomes a result.
 */
import { FjordError, type ErrorData } from '../../core/errors.ts';
import type { HttpRequestData, HttpResponseData } from '../../core/messages.ts';
import { isHeaderList, isRecord, parseJsonValue, rebuildError } from '../reply-checks.ts';
import type { WireError, WireRequest } from './protocol.ts';

const WIRE_CODES: ReadonlySet<string> = new Set<WireError['code']>([
  'FUNCTION_ERROR',
  'BAD_FUNCTION_RESPONSE',
  'BAD_REQUEST',
  'HANDLER_NOT_FOUND',
  'EGRESS_DENIED',
  'FETCH_LIMIT_EXCEEDED',
  'QUEUE_NOT_FOUND',
  'QUEUE_LOOP_DETECTED',
  'EXCHANGE_NOT_FOUND',
  'BROKER_UNAVAILABLE',
]);

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: ErrorData };

function malformed(what: string): { ok: false; error: ErrorData } {
  return {
    ok: false,
    error: new FjordError(
      'BAD_FUNCTION_RESPONSE',
      `the isolate returned a malformed ${what}`,
    ).toData(),
  };
}

/** Rebuilds the function's error, or null when `reply` is not an error reply. */
function decodeError(reply: Record<string, unknown>): { ok: false; error: ErrorData } | null {
  if (reply.ok !== false) return null;
  const error = rebuildError(reply, WIRE_CODES);
  return error === undefined ? malformed('error') : { ok: false, error };
}

export function decodeHttpReply(reply: unknown, maxBodyBytes: number): Decoded<HttpResponseData> {
  if (!isRecord(reply)) return malformed('reply');
  const failure = decodeError(reply);
  if (failure !== null) return failure;
  const { ok, status, headers, body } = reply;
  if (ok !== true || typeof status !== 'number' || !Number.isInteger(status))
    return malformed('reply');
  if (status < 200 || status > 599) return malformed('status');
  if (!isHeaderList(headers)) return malformed('header list');
  if (body !== null && !(body instanceof Uint8Array)) return malformed('body');
  if (body !== null && body.byteLength > maxBodyBytes) return malformed('body (too large)');
  const response: HttpResponseData = { status, headers };
  if (body !== null && body.byteLength > 0) {
    response.body = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('base64');
  }
  return { ok: true, value: response };
}

export function decodeEventReply(reply: unknown, maxBytes: number): Decoded<unknown> {
  if (!isRecord(reply)) return malformed('reply');
  const failure = decodeError(reply);
  if (failure !== null) return failure;
  if (reply.ok !== true) return malformed('reply');
  if (reply.json === undefined) return { ok: true, value: undefined };
  const parsed = parseJsonValue(reply.json, maxBytes);
  return parsed === undefined ? malformed('value') : { ok: true, value: parsed.value };
}

export type DispatchResult =
  { ok: true; response?: HttpResponseData; value?: unknown } | { ok: false; error: ErrorData };

/** The result of an invocation, and whether ctx.waitUntil work still runs in the isolate. */
export interface Dispatched {
  result: DispatchResult;
  waitUntil: boolean;
}

/** Checks a reply of `dispatchHttp` or `dispatchEvent`. */
export function decodeDispatch(kind: 'http' | 'event', reply: unknown, limit: number): Dispatched {
  const waitUntil = isRecord(reply) && reply.waitUntil === true;
  if (kind === 'http') {
    const decoded = decodeHttpReply(reply, limit);
    return {
      result: decoded.ok ? { ok: true, response: decoded.value } : decoded,
      waitUntil,
    };
  }
  const decoded = decodeEventReply(reply, limit);
  if (!decoded.ok) return { result: decoded, waitUntil };
  return {
    result: decoded.value === undefined ? { ok: true } : { ok: true, value: decoded.value },
    waitUntil,
  };
}

/**
 * The request as the prelude takes it: the URL serialised by Node's URL (a URL it cannot parse
 * goes as it came, and the prelude refuses it), the body copied out of Node's shared Buffer pool.
 */
export function toWireRequest(request: HttpRequestData): WireRequest {
  const { method, headers, body } = request;
  let url = request.url;
  let parsed = false;
  try {
    url = new URL(url).href;
    parsed = true;
  } catch {
    // Not a URL: the prelude's Request says so, as a BAD_REQUEST.
  }
  const bytes = body === undefined || body === '' ? null : Buffer.from(body, 'base64');
  return { method, url, parsed, headers, body: bytes === null ? null : Uint8Array.from(bytes) };
}
