import type { DeadLetter, InvocationResult } from '../../core/messages.ts';
import type { AttemptRecord } from '../../core/store.ts';
import { toAttempt, type AttemptRow } from '../sql-store/attempt-rows.ts';
import type { Queryable } from './database.ts';
import { ms } from './invocation-repository.ts';
import { toJson } from './json.ts';

const INSERT = `INSERT INTO attempts
  (invocation_id, attempt, fn, status, node, started_at, ended_at, error)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)
  ON CONFLICT (invocation_id, attempt) DO NOTHING`;

/**
 * The attempt history of invocations: one row per attempt, written once. A first attempt that
 * succeeded gets no row: the invocation record itself says all of it (as in the SQLite store).
 */
export class AttemptRepository {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /** Adds the attempt a result reports; a redelivered result adds nothing. */
  async record(result: InvocationResult): Promise<void> {
    if (result.attempt === 1 && result.status === 'succeeded') return;
    await this.#db.query(INSERT, [
      result.id,
      result.attempt,
      result.fn,
      result.status,
      result.node,
      ms(result.startedAt),
      ms(result.endedAt),
      toJson(result.error),
    ]);
  }

  /** Adds the attempt a node refused to run (no result will report it). */
  async recordRefused(letter: DeadLetter): Promise<void> {
    await this.#db.query(INSERT, [
      letter.message.id,
      letter.attempt,
      letter.message.fn.name,
      'failed',
      letter.node,
      ms(letter.deadAt),
      ms(letter.deadAt),
      toJson(letter.error),
    ]);
  }

  async list(id: string): Promise<AttemptRecord[]> {
    const { rows } = await this.#db.query<AttemptRow>(
      `SELECT attempt, status, node, started_at, ended_at, error
       FROM attempts WHERE invocation_id = $1 ORDER BY attempt`,
      [id],
    );
    if (rows.length > 0) return rows.map(toAttempt);
    // No row: nothing ran yet, or the first attempt succeeded (see record()).
    const only = await this.#db.query<AttemptRow>(
      `SELECT result_attempt AS attempt, 'succeeded' AS status, node, started_at, ended_at,
              error
       FROM invocations WHERE id = $1 AND status = 'succeeded' AND result_attempt = 1`,
      [id],
    );
    return only.rows.map(toAttempt);
  }

  async deleteForFunction(fn: string): Promise<void> {
    await this.#db.query('DELETE FROM attempts WHERE fn = $1', [fn]);
  }
}
