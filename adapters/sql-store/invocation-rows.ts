import type { ErrorData } from '../../core/errors.ts';
import type { DeadLetter, InvocationResult } from '../../core/messages.ts';
import type { InvocationRecord, InvocationStatus } from '../../core/store.ts';

/** An invocation as both SQL stores select it. */
export interface InvocationRow {
  id: string;
  call_id: string;
  fn: string;
  version: number;
  mode: InvocationRecord['mode'];
  trigger_kind: InvocationRecord['trigger'];
  status: InvocationStatus;
  attempts: number;
  queued_at: number;
  started_at: number | null;
  ended_at: number | null;
  duration_ms: number | null;
  /** boolean in PostgreSQL, 0 or 1 in SQLite. */
  cold_start: boolean | number | null;
  cpu_ms: number | null;
  node: string | null;
  result: string | null;
  error: string | null;
  next_attempt_at: number | null;
}

/** The columns of an {@link InvocationRow} but `next_attempt_at`, which only reads select. */
export const INVOCATION_COLUMNS = `id, call_id, fn, version, mode, trigger_kind, status, attempts, queued_at,
  started_at, ended_at, duration_ms, cold_start, cpu_ms, node, result, error`;

/** The statuses no result or start report may change (a redrive reopens `dead` explicitly). */
export const FINAL_SQL = `('succeeded', 'failed', 'dead', 'cancelled')`;

/**
 * The status an attempt's result leaves the invocation in. The last attempt's result leaves it
 * `running`: only its dead letter, recorded with the letter in one transaction, makes it `dead`,
 * so an invocation that reads `dead` is always in its function's dead-letter queue (the result
 * and the letter reach the gateway on different queues, in either order).
 */
export function statusAfter(result: InvocationResult): InvocationStatus {
  if (result.status === 'succeeded') return 'succeeded';
  if (result.next?.action === 'retry') return 'retrying';
  return result.next?.action === 'dead' ? 'running' : 'failed';
}

/** HTTP bodies are not kept: the record says what was answered, not the bytes. */
export function summarize(result: InvocationResult): unknown {
  const response = result.response;
  if (response === undefined) return result.value;
  const bodySize = response.body === undefined ? 0 : Buffer.byteLength(response.body, 'base64');
  return { status: response.status, headers: response.headers, bodySize };
}

/** Maps an invocation row; SQL NULLs become absent fields, JSON columns arrive as text. */
export function toInvocation(row: InvocationRow): InvocationRecord {
  const record: InvocationRecord = {
    id: row.id,
    callId: row.call_id,
    fn: row.fn,
    version: row.version,
    mode: row.mode,
    trigger: row.trigger_kind,
    status: row.status,
    attempts: row.attempts,
    queuedAt: row.queued_at,
  };
  if (row.started_at !== null) record.startedAt = row.started_at;
  if (row.ended_at !== null) record.endedAt = row.ended_at;
  if (row.duration_ms !== null) record.durationMs = row.duration_ms;
  if (row.cold_start !== null) record.coldStart = Boolean(row.cold_start);
  if (row.cpu_ms !== null) record.cpuMs = row.cpu_ms;
  if (row.node !== null) record.node = row.node;
  if (row.result !== null) record.result = JSON.parse(row.result) as unknown;
  if (row.error !== null) record.error = JSON.parse(row.error) as ErrorData;
  if (row.next_attempt_at !== null) record.nextAttemptAt = row.next_attempt_at;
  return record;
}

/** What {@link isStaleLetter} reads of an invocation. */
export interface StalenessRow {
  status: string;
  redriven_through: number | null;
}

/**
 * True when `letter` must be ignored: its invocation was cancelled, or the attempt it gave up
 * on was redriven already (a duplicate that arrived after the redrive). No record: not stale.
 */
export function isStaleLetter(row: StalenessRow | undefined, letter: DeadLetter): boolean {
  if (row === undefined) return false;
  return row.status === 'cancelled' || letter.attempt <= (row.redriven_through ?? 0);
}
