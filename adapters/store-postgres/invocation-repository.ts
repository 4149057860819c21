import type { InvocationResult } from '../../core/messages.ts';
import type { InvocationRecord } from '../../core/store.ts';
import {
  FINAL_SQL,
  INVOCATION_COLUMNS,
  toInvocation,
  type InvocationRow,
} from '../sql-store/invocation-rows.ts';
import { InvocationWrites } from '../sql-store/invocation-writes.ts';
import type { Queryable } from './database.ts';
import { toJson } from './json.ts';

/** The two writes of every invocation: an absent value is null, times are rounded, JSON has no NUL. */
const WRITES = new InvocationWrites(
  { mark: '$', greatest: 'greatest' },
  { absent: null, time: ms, flag: (value) => value ?? null, json: toJson },
);

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
    await this.#db.query(WRITES.accept, WRITES.acceptValues(record));
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
    await this.#db.query(WRITES.result, WRITES.resultValues(result));
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
