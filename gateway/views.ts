/**
 * Store records and results shaped into the control API's wire types (core/api.ts): ISO dates,
 * and errors reduced to what a client may see.
 */
import type { CallbackView, FunctionView, InvocationView, VersionView } from '../core/api.ts';
import { ERROR_STATUS, type ErrorData } from '../core/errors.ts';
import type { InvocationMessage, InvocationResult, LogEntry } from '../core/messages.ts';
import { isRetryable } from '../core/retry-policy.ts';
import type {
  CallbackState,
  FunctionRecord,
  InvocationRecord,
  VersionRecord,
} from '../core/store.ts';
import { nextRunOf } from './scheduler-cron.ts';

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

function isoOrUndefined(epochMs: number | undefined): string | undefined {
  return epochMs === undefined ? undefined : iso(epochMs);
}

/** A function as the API shows it: its active version's facts, trigger URL and next run after `now`. */
export function toFunctionView(record: FunctionRecord, now: number): FunctionView {
  const nextRun = nextRunOf(record.active.manifest, now);
  return {
    name: record.name,
    version: record.activeVersion,
    runtime: record.active.manifest.runtime,
    url: `/fn/${record.name}`,
    createdAt: iso(record.createdAt),
    updatedAt: iso(record.updatedAt),
    manifest: record.active.manifest,
    bundleSha: record.active.bundleSha,
    bundleSize: record.active.bundleSize,
    ...(nextRun === undefined ? {} : { nextRun: iso(nextRun) }),
  };
}

/** One version, flagged when it is the active one. */
export function toVersionView(record: VersionRecord, activeVersion: number): VersionView {
  return {
    version: record.version,
    bundleSha: record.bundleSha,
    bundleSize: record.bundleSize,
    createdAt: iso(record.createdAt),
    active: record.version === activeVersion,
    manifest: record.manifest,
  };
}

/**
 * The error as a client sees it, in the `{code, message, callId}` shape of every error body. A
 * function's own stack trace is kept (it is the author's code, shown to token holders only);
 * a platform fault shows neither its message nor a stack, as in the error middleware.
 * `retryable` is the retry policy's judgement (isRetryable), the one that decides whether an
 * async invocation runs again: the `retryable` an error carries on the wire says something else
 * (whether the platform fault behind a FjordError is transient), so a thrown Error read false
 * although it was retried.
 */
export function toErrorView(error: ErrorData, callId: string): ErrorData & { callId: string } {
  return {
    code: error.code,
    message: ERROR_STATUS[error.code] === 500 ? 'internal error' : error.message,
    callId,
    ...(error.name === undefined ? {} : { name: error.name }),
    retryable: isRetryable(error),
    ...(error.stack !== undefined && error.code === 'FUNCTION_ERROR' ? { stack: error.stack } : {}),
  };
}

export function toCallbackView(state: CallbackState): CallbackView {
  const { nextAt, deliveredAt, ...rest } = state;
  const view: CallbackView = { ...rest };
  if (nextAt !== undefined) view.nextAt = iso(nextAt);
  if (deliveredAt !== undefined) view.deliveredAt = iso(deliveredAt);
  return view;
}

function toLogViews(logs: readonly LogEntry[]): InvocationView['logs'] {
  return logs.map(({ ts, level, message }) => ({ ts, level, message }));
}

/** A stored invocation with its logs, as GET /v1/invocations/ID shows it. */
export function toInvocationView(
  record: InvocationRecord,
  logs: readonly LogEntry[],
): InvocationView {
  const { queuedAt, startedAt, endedAt, error, nextAttemptAt, callback, ...rest } = record;
  const view: InvocationView = { ...rest, queuedAt: iso(queuedAt), logs: toLogViews(logs) };
  const started = isoOrUndefined(startedAt);
  const ended = isoOrUndefined(endedAt);
  if (started !== undefined) view.startedAt = started;
  if (ended !== undefined) view.endedAt = ended;
  if (error !== undefined) view.error = toErrorView(error, record.callId);
  if (nextAttemptAt !== undefined) view.nextAttemptAt = iso(nextAttemptAt);
  if (callback !== undefined) view.callback = toCallbackView(callback);
  return view;
}

/**
 * The view of a sync event invocation straight from its result, so `?wait=true` answers without
 * waiting for the result recorder to have written the record.
 */
export function resultToInvocationView(
  message: InvocationMessage,
  result: InvocationResult,
): InvocationView {
  const view: InvocationView = {
    id: message.id,
    callId: message.callId,
    fn: message.fn.name,
    version: message.fn.version,
    mode: message.mode,
    trigger: message.payload.kind === 'http' ? 'http' : 'event',
    status: result.status,
    attempts: result.attempt,
    queuedAt: iso(message.acceptedAt),
    startedAt: iso(result.startedAt),
    endedAt: iso(result.endedAt),
    durationMs: result.endedAt - result.startedAt,
    coldStart: result.coldStart,
    node: result.node,
    logs: toLogViews(result.logs),
  };
  if (result.cpuMs !== undefined) view.cpuMs = result.cpuMs;
  if (result.value !== undefined) view.result = result.value;
  if (result.error !== undefined) view.error = toErrorView(result.error, message.callId);
  return view;
}
