import type { InvocationResult } from '../../core/messages.ts';
import type { InvocationRecord } from '../../core/store.ts';
import {
  acceptedParameters,
  acceptedValues,
  FINAL_SQL,
  INVOCATION_COLUMNS,
  resultParameters,
  resultValues,
  toInvocation,
  type InvocationCodec,
  type InvocationRow,
} from '../sql-store/invocation-rows.ts';
import type { Queryable } from './database.ts';
import { toJson } from './json.ts';

// The two writes of every invocation, built once, bind the values of invocation-rows.ts.

const CREATE = `INSERT INTO invocations (${INVOCATION_COLUMNS})
   VALUES (${acceptedParameters('$')})
   ON CONFLICT (id) DO UPDATE SET
     call_id = excluded.call_id, mode = excluded.mode,
     trigger_kind = excluded.trigger_kind, queued_at = excluded.queued_at`;

const RECORD_RESULT = `INSERT INTO invocations (${INVOCATION_COLUMNS}, result_attempt, next_attempt_at)
   VALUES (${resultParameters('$')})
   ON CONFLICT (id) DO UPDATE SET
     status = excluded.status, attempts = greatest(invocations.attempts, excluded.attempts),
     started_at = excluded.started_at, ended_at = excluded.ended_at,
     duration_ms = excluded.duration_ms, cold_start = excluded.cold_start,
     cpu_ms = excluded.cpu_ms, node = excluded.node, result = excluded.result,
     error = excluded.error, result_attempt = excluded.result_attempt,
     next_attempt_at = excluded.next_attempt_at
   WHERE (invocations.result_attempt IS NULL
          OR invocations.result_attempt < excluded.result_attempt)
     AND invocations.status <> 'cancelled'`;

/** PostgreSQL's values: an absent one is null, times are rounded, JSON has no NUL (json.ts). */
const POSTGRES: InvocationCodec<null, boolean> = {
  absent: null,
  time: ms,
  flag: (value) => value ?? null,
  json: toJson,
};

/**
 * Invocation records: created on acceptance, advanced by started and finished reports. Every
 * guard against a regression is in the statement's WHERE, so gateways recording reports of one
 * invocation at the same time cannot interleave a read and a write.
 */
export class InvocationRepository {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /**
   * Inserts the record. When a result got there first (a race between the gateway and the
   * results queue), only the acceptance facts are filled in and the progress is kept.
   */
  async create(record: InvocationRecord): Promise<void> {
    await this.#db.query(CREATE, acceptedValues(record, POSTGRES));
  }

  /**
   * Started reports travel apart from results and may arrive after them: a final status is
   * never regressed, nor is a later attempt's start overwritten by an earlier one.
   */
  async markStarted(id: string, node: string, attempt: number, startedAt: number): Promise<void> {
    await this.#db.query(
      `UPDATE invocations
       SET status = 'running', node = $2, attempts = greatest(attempts, $3),
           started_at = $4, next_attempt_at = NULL
       WHERE id = $1 AND status NOT IN ${FINAL_SQL} AND attempts <= $3`,
      [id, node, attempt, ms(startedAt)],
    );
  }

  /**
   * Writes the outcome of one attempt, creating the record when it is missing (sync calls, or a
   * result that overtook its acceptance). A result for an attempt older than, or the same as,
   * the one already recorded changes nothing, nor does any result of a cancelled invocation.
   */
  async recordResult(result: InvocationResult): Promise<void> {
    await this.#db.query(RECORD_RESULT, resultValues(result, POSTGRES));
  }

  async get(id: string): Promise<InvocationRecord | undefined> {
    const { rows } = await this.#db.query<InvocationRow>(
      `SELECT ${INVOCATION_COLUMNS}, next_attempt_at FROM invocations WHERE id = $1`,
      [id],
    );
    const row = rows[0];
    return row === undefined ? undefined : toInvocation(row);
  }

  async deleteForFunction(fn: string): Promise<void> {
    await this.#db.query('DELETE FROM invocations WHERE fn = $1', [fn]);
  }
}

/**
 * Epoch ms (or a duration) for a bigint column. Rounded, because a fractional value from a
 * node would otherwise make its result unrecordable.
 */
export function ms(value: number | undefined): number | null {
  return value === undefined ? null : Math.round(value);
}
