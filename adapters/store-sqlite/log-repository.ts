import type { InvocationResult } from '../../core/messages.ts';
import type { LogQuery, LogRecord } from '../../core/store.ts';
import type { Connection, SqlParams } from './connection.ts';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

/** Function logs, numbered by a global sequence that followers resume from. */
export class LogRepository {
  readonly #db: Connection;

  constructor(db: Connection) {
    this.#db = db;
  }

  /** Inserts an attempt's logs unless they are already there, so a redelivered result adds none. */
  appendOnce(result: InvocationResult): void {
    const { fn, id: invocationId, attempt, logs, endedAt } = result;
    if (logs.length === 0) return;
    const seen = this.#db.get(
      'SELECT 1 FROM logs WHERE invocation_id = :invocationId AND attempt = :attempt LIMIT 1',
      { invocationId, attempt },
    );
    if (seen !== undefined) return;
    // One statement whatever the number of lines: the entries travel as one JSON array. The
    // coalesces keep a malformed line from making the whole result unrecordable.
    this.#db.run(
      `INSERT INTO logs (fn, invocation_id, attempt, ts, level, message)
       SELECT :fn, :invocationId, :attempt, coalesce(e.value ->> 'ts', :endedAt),
              coalesce(e.value ->> 'level', 'info'), coalesce(e.value ->> 'message', '')
       FROM json_each(:logs) AS e
       ORDER BY e.key`,
      { fn, invocationId, attempt, endedAt, logs: JSON.stringify(logs) },
    );
  }

  /**
   * Ascending by seq. With `afterSeq`, the first `limit` records after it (follow); without it,
   * the last `limit` records (tail), still in ascending order.
   */
  list(fn: string, query: LogQuery = {}): LogRecord[] {
    const params: SqlParams = { fn, limit: clampLimit(query.limit) };
    const filters = ['fn = :fn'];
    if (query.invocationId !== undefined) {
      filters.push('invocation_id = :invocationId');
      params.invocationId = query.invocationId;
    }
    if (query.afterSeq !== undefined) {
      filters.push('seq > :afterSeq');
      params.afterSeq = query.afterSeq;
    }
    const select = `SELECT seq, fn, invocation_id AS invocationId, ts, level, message
                    FROM logs WHERE ${filters.join(' AND ')}`;
    // Only four distinct SQL strings exist, so the statement cache stays small.
    const sql =
      query.afterSeq === undefined
        ? `SELECT * FROM (${select} ORDER BY seq DESC LIMIT :limit) ORDER BY seq`
        : `${select} ORDER BY seq LIMIT :limit`;
    return (
      this.#db
        .all<LogRecord>(sql, params)
        // node:sqlite rows have a null prototype; callers get plain objects.
        .map((row) => ({ ...row }))
    );
  }

  deleteForFunction(fn: string): void {
    this.#db.run('DELETE FROM logs WHERE fn = :fn', { fn });
  }
}

function clampLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_LIMIT;
  return Math.min(Math.max(Math.trunc(limit), 1), MAX_LIMIT);
}
