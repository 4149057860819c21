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
import type { Connection } from './connection.ts';

// The SQL of the hot paths, built once: it is the key of the connection's statement cache, and
// a string built per call would be hashed and compared in full on every lookup. The writes take
// positional parameters (Connection.runValues), in the order of INVOCATION_COLUMNS
// (invocation-rows.ts binds them).

const CREATE = `INSERT INTO invocations (${INVOCATION_COLUMNS})
   VALUES (${acceptedParameters('?')})
   ON CONFLICT (id) DO UPDATE SET
     call_id = excluded.call_id, mode = excluded.mode,
     trigger_kind = excluded.trigger_kind, queued_at = excluded.queued_at`;

const MARK_STARTED = `UPDATE invocations
   SET status = 'running', node = ?2, attempts = max(attempts, ?3),
       started_at = ?4, next_attempt_at = NULL
   WHERE id = ?1 AND status NOT IN ${FINAL_SQL} AND attempts <= ?3`;

const RECORD_RESULT = `INSERT INTO invocations (${INVOCATION_COLUMNS}, result_attempt, next_attempt_at)
   VALUES (${resultParameters('?')})
   ON CONFLICT (id) DO UPDATE SET
     status = excluded.status, attempts = max(invocations.attempts, excluded.attempts),
     started_at = excluded.started_at, ended_at = excluded.ended_at,
     duration_ms = excluded.duration_ms, cold_start = excluded.cold_start,
     cpu_ms = excluded.cpu_ms, node = excluded.node, result = excluded.result,
     error = excluded.error, result_attempt = excluded.result_attempt,
     next_attempt_at = excluded.next_attempt_at
   WHERE (invocations.result_attempt IS NULL
          OR invocations.result_attempt < excluded.result_attempt)
     AND invocations.status <> 'cancelled'`;

const SELECT_ONE = `SELECT ${INVOCATION_COLUMNS}, next_attempt_at FROM invocations WHERE id = :id`;

/**
 * SQLite's values: an absent one stays undefined (Connection.runValues binds it as NULL), times
 * as they are, a boolean as 0 or 1 (node:sqlite binds no booleans).
 */
const SQLITE: InvocationCodec<undefined, number> = {
  absent: undefined,
  time: (value) => value,
  flag: (value) => (value === undefined ? undefined : Number(value)),
  json: (value) => (value === undefined ? undefined : JSON.stringify(value)),
};

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
    this.#db.runValues(CREATE, acceptedValues(record, SQLITE));
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
    this.#db.runValues(RECORD_RESULT, resultValues(result, SQLITE));
  }

  get(id: string): InvocationRecord | undefined {
    const row = this.#db.get<InvocationRow>(SELECT_ONE, { id });
    return row === undefined ? undefined : toInvocation(row);
  }

  deleteForFunction(fn: string): void {
    this.#db.run('DELETE FROM invocations WHERE fn = :fn', { fn });
  }
}
