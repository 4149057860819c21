import type { ErrorData } from '../../core/errors.ts';
import type { AttemptRecord } from '../../core/store.ts';

/** One attempt as both SQL stores select it (from `attempts`, or from `invocations`). */
export interface AttemptRow {
  attempt: number;
  status: AttemptRecord['status'];
  node: string | null;
  started_at: number | null;
  ended_at: number | null;
  error: string | null;
}

/** Maps an attempt row; SQL NULLs become absent fields, the error arrives as JSON text. */
export function toAttempt(row: AttemptRow): AttemptRecord {
  const record: AttemptRecord = { attempt: row.attempt, status: row.status };
  if (row.node !== null) record.node = row.node;
  if (row.started_at !== null) record.startedAt = row.started_at;
  if (row.ended_at !== null) record.endedAt = row.ended_at;
  if (row.error !== null) record.error = JSON.parse(row.error) as ErrorData;
  return record;
}
