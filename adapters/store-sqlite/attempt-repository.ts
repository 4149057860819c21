import type { ErrorData } from '../../core/errors.ts';
import type { DeadLetter, InvocationResult } from '../../core/messages.ts';
import type { AttemptRecord } from '../../core/store.ts';
import type { Connection } from './connection.ts';

interface AttemptRow {
  attempt: number;
  status: AttemptRecord['status'];
  node: string | null;
  started_at: number | null;
  ended_at: number | null;
  error: string | null;
}

const INSERT = `INSERT INTO attempts
  (invocation_id, attempt, fn, status, node, started_at, ended_at, error)
  VALUES (:id, :attempt, :fn, :status, :node, :startedAt, :endedAt, :error)
  ON CONFLICT (invocation_id, attempt) DO NOTHING`;

/** The attempt history of invocations: one row per attempt, written once. */
export class AttemptRepository {
  readonly #db: Connection;

  constructor(db: Connection) {
    this.#db = db;
  }

  /** Adds the attempt a result reports; a redelivered result adds nothing. */
  record(result: InvocationResult): void {
    this.#db.run(INSERT, {
      id: result.id,
      attempt: result.attempt,
      fn: result.fn,
      status: result.status,
      node: result.node,
      startedAt: result.startedAt,
      endedAt: result.endedAt,
      error: result.error === undefined ? undefined : JSON.stringify(result.error),
    });
  }

  /** Adds the attempt a node refused to run (no result will report it). */
  recordRefused(letter: DeadLetter): void {
    this.#db.run(INSERT, {
      id: letter.message.id,
      attempt: letter.attempt,
      fn: letter.message.fn.name,
      status: 'failed',
      node: letter.node,
      startedAt: letter.deadAt,
      endedAt: letter.deadAt,
      error: JSON.stringify(letter.error),
    });
  }

  list(id: string): AttemptRecord[] {
    return this.#db
      .all<AttemptRow>(
        `SELECT attempt, status, node, started_at, ended_at, error
         FROM attempts WHERE invocation_id = :id ORDER BY attempt`,
        { id },
      )
      .map(toAttempt);
  }

  deleteForFunction(fn: string): void {
    this.#db.run('DELETE FROM attempts WHERE fn = :fn', { fn });
  }
}

function toAttempt(row: AttemptRow): AttemptRecord {
  const record: AttemptRecord = { attempt: row.attempt, status: row.status };
  if (row.node !== null) record.node = row.node;
  if (row.started_at !== null) record.startedAt = row.started_at;
  if (row.ended_at !== null) record.endedAt = row.ended_at;
  if (row.error !== null) record.error = JSON.parse(row.error) as ErrorData;
  return record;
}
