import type { InvocationResult } from '../../core/messages.ts';
import type { InvocationRecord } from '../../core/store.ts';
import {
  FINAL_SQL,
  INVOCATION_COLUMNS,
  toInvocation,
  type InvocationRow,
} from '../sql-store/invocation-rows.ts';
import { InvocationWrites } from '../sql-store/invocation-writes.ts';
import type { Connection } from './connection.ts';

// The SQL of the hot paths, built once: it is the key of the connection's statement cache, and
// a string built per call would be hashed and compared in full on every lookup. The writes take
// positional parameters (Connection.runValues).

/**
 * The two writes of every invocation. An absent value stays undefined (Connection.runValues
 * binds it as NULL), times as they are, a boolean as 0 or 1 (node:sqlite binds no booleans).
 */
const WRITES = new InvocationWrites(
  { mark: '?', greatest: 'max' },
  {
    absent: undefined,
    time: (value) => value,
    flag: (value) => (value === undefined ? undefined : Number(value)),
    json: (value) => (value === undefined ? undefined : JSON.stringify(value)),
  },
);

const MARK_STARTED = `UPDATE invocations
   SET status = 'running', node = ?2, attempts = max(attempts, ?3),
       started_at = ?4, next_attempt_at = NULL
   WHERE id = ?1 AND status NOT IN ${FINAL_SQL} AND attempts <= ?3`;

const SELECT_ONE = `SELECT ${INVOCATION_COLUMNS}, next_attempt_at FROM invocations WHERE id = :id`;

/** Invocation records: created on acceptance, advanced by started and finished reports. */
export class InvocationRepository {
  readonly #db: Connection;

  constructor(db: Connection) {
    this.#db = db;
  }

  /**
   * Inserts the record. When a result got there first (a race between the gateway and the
   * results queue), only the acceptance facts are filled in and the progress is kept.
   */
  create(record: InvocationRecord): void {
    this.#db.runValues(WRITES.accept, WRITES.acceptValues(record));
  }

  /**
   * Started reports travel apart from results and may arrive after them: a final status is
   * never regressed, nor is a later attempt's start overwritten by an earlier one.
   */
  markStarted(id: string, node: string, attempt: number, startedAt: number): void {
    this.#db.runValues(MARK_STARTED, [id, node, attempt, startedAt]);
  }

  /**
   * Writes the outcome of one attempt, creating the record when it is missing (sync calls, or a
   * result that overtook its acceptance). A result for an attempt older than, or the same as,
   * the one already recorded changes nothing, nor does any result of a cancelled invocation.
   */
  recordResult(result: InvocationResult): void {
    this.#db.runValues(WRITES.result, WRITES.resultValues(result));
  }

  get(id: string): InvocationRecord | undefined {
    const row = this.#db.get<InvocationRow>(SELECT_ONE, { id });
    return row === undefined ? undefined : toInvocation(row);
  }

  deleteForFunction(fn: string): void {
    this.#db.run('DELETE FROM invocations WHERE fn = :fn', { fn });
  }
}
