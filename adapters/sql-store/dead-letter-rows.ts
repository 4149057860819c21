import type { ErrorData } from '../../core/errors.ts';
import type { DeadLetterQuery, DeadLetterRecord } from '../../core/store.ts';

/** A dead letter as both SQL stores select it, without the message. */
export interface DeadLetterRow {
  seq: number;
  fn: string;
  invocation_id: string;
  call_id: string;
  version: number;
  attempt: number;
  node: string;
  error: string;
  queued_at: number;
  dead_at: number;
}

/** The columns of a {@link DeadLetterRow}, `seq` first (an insert leaves it to the database). */
export const DEAD_LETTER_COLUMNS = `seq, fn, invocation_id, call_id, version, attempt, node, error, queued_at, dead_at`;

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

/** The page size a listing asks for, clamped to 1..1000 (100 when not given). */
export function deadLetterLimit(query: DeadLetterQuery): number {
  return Math.min(Math.max(Math.trunc(query.limit ?? DEFAULT_LIMIT), 1), MAX_LIMIT);
}

/** Maps a dead-letter row; the error arrives as JSON text from both stores. */
export function toDeadLetter(row: DeadLetterRow): DeadLetterRecord {
  return {
    seq: row.seq,
    fn: row.fn,
    invocationId: row.invocation_id,
    callId: row.call_id,
    version: row.version,
    attempt: row.attempt,
    node: row.node,
    error: JSON.parse(row.error) as ErrorData,
    queuedAt: row.queued_at,
    deadAt: row.dead_at,
  };
}
