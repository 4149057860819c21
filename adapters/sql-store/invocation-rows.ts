import type { ErrorData } from '../../core/errors.ts';
import {
  modeOfResult,
  triggerOfResult,
  type DeadLetter,
  type InvocationResult,
} from '../../core/messages.ts';
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

/**
 * How one SQL dialect binds an invocation's values: `Absent` is what an absent value is bound
 * as, `Flag` the type of a boolean column.
 */
export interface InvocationCodec<Absent extends null | undefined, Flag> {
  readonly absent: Absent;
  /** Epoch ms or a duration. */
  time(value: number | undefined): number | Absent;
  flag(value: boolean | undefined): Flag | Absent;
  /** JSON text; `undefined` stays absent, `null` is kept as JSON null. */
  json(value: unknown): string | Absent;
}

/** Values bound in the order of a VALUES list below. */
export type InvocationValues<Absent, Flag> = (string | number | Flag | Absent)[];

/**
 * The parameters of an acceptance insert, one per column of {@link INVOCATION_COLUMNS} in its
 * order (`mark` is `?` or `$`); {@link acceptedValues} binds them.
 */
export function acceptedParameters(mark: '?' | '$'): string {
  return parameters(mark, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
}

/** The values of {@link acceptedParameters}. */
export function acceptedValues<Absent extends null | undefined, Flag>(
  record: InvocationRecord,
  codec: InvocationCodec<Absent, Flag>,
): InvocationValues<Absent, Flag> {
  return [
    record.id,
    record.callId,
    record.fn,
    record.version,
    record.mode,
    record.trigger,
    record.status,
    record.attempts,
    codec.time(record.queuedAt),
    codec.time(record.startedAt),
    codec.time(record.endedAt),
    codec.time(record.durationMs),
    codec.flag(record.coldStart),
    record.cpuMs ?? codec.absent,
    record.node ?? codec.absent,
    codec.json(record.result),
    codec.json(record.error),
  ];
}

/**
 * The parameters of a result's insert: the columns of {@link INVOCATION_COLUMNS}, then
 * `result_attempt` and `next_attempt_at`. A result has no queue time of its own, so its start
 * stands in for `queued_at` ($9 twice), and its attempt is also the result's attempt ($8).
 */
export function resultParameters(mark: '?' | '$'): string {
  return parameters(mark, [1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 10, 11, 12, 13, 14, 15, 16, 8, 17]);
}

/** The values of {@link resultParameters}. */
export function resultValues<Absent extends null | undefined, Flag>(
  result: InvocationResult,
  codec: InvocationCodec<Absent, Flag>,
): InvocationValues<Absent, Flag> {
  return [
    result.id,
    result.callId,
    result.fn,
    result.version,
    modeOfResult(result),
    triggerOfResult(result),
    statusAfter(result),
    result.attempt,
    codec.time(result.startedAt),
    codec.time(result.endedAt),
    codec.time(result.endedAt - result.startedAt),
    codec.flag(result.coldStart),
    result.cpuMs ?? codec.absent,
    result.node,
    codec.json(summarize(result)),
    codec.json(result.error),
    result.next?.action === 'retry' ? codec.time(result.next.at) : codec.absent,
  ];
}

function parameters(mark: '?' | '$', numbers: number[]): string {
  return numbers.map((n) => `${mark}${n}`).join(', ');
}

/** The statuses no result or start report may change (a redrive reopens `dead` explicitly). */
export const FINAL_SQL = `('succeeded', 'failed', 'dead', 'cancelled')`;

/** The status an attempt's result leaves the invocation in. */
export function statusAfter(result: InvocationResult): InvocationStatus {
  if (result.status === 'succeeded') return 'succeeded';
  if (result.next?.action === 'retry') return 'retrying';
  return result.next?.action === 'dead' ? 'dead' : 'failed';
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
