import type { DeadLetter, InvocationResult } from '../../core/messages.ts';
import type { AttemptRecord } from '../../core/store.ts';
import { toAttempt, type AttemptRow } from '../sql-store/attempt-rows.ts';
import type { Connection } from './connection.ts';

const INSERT = `INSERT INTO attempts
  (invocation_id, attempt, fn, status, node, started_at, ended_at, error)
  VALUES (:id, :attempt, :fn, :status, :node, :startedAt, :endedAt, :error)
  ON CONFLICT (invocation_id, attempt) DO NOTHING`;

/**
 * The attempt history of invocations: one row per attempt, written once. A first attempt that
 * succeeded, by far the most common history, gets no row: the invocation record itself says all
 * of it, and the hot path of recording results stays one write shorter.
 */
export class AttemptRepository {
  readonly #db: Connection;

  constructor(db: Connection) {
    this.#db = db;
  }

  /** Adds the attempt a result reports; a redelivered result adds nothing. */
  record(result: InvocationResult): void {
    if (result.attempt === 1 && result.status === 'succeeded') return;
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
    const rows = this.#db.all<AttemptRow>(
      `SELECT attempt, status, node, started_at, ended_at, error
       FROM attempts WHERE invocation_id = :id ORDER BY attempt`,
      { id },
    );
    if (rows.length > 0) return rows.map(toAttempt);
    // No row: nothing ran yet, or the first attempt succeeded (see record()).
    const only = this.#db.get<AttemptRow>(
      `SELECT result_attempt AS attempt, 'succeeded' AS status, node, started_at, ended_at, error
       FROM invocations WHERE id = :id AND status = 'succeeded' AND result_attempt = 1`,
      { id },
    );
    return only === undefined ? [] : [toAttempt(only)];
  }

  deleteForFunction(fn: string): void {
    this.#db.run('DELETE FROM attempts WHERE fn = :fn', { fn });
  }
}
