import type { InvocationResult } from '../../core/messages.ts';
import type { LogQuery, LogRecord } from '../../core/store.ts';
import type { Queryable } from './database.ts';
import { safeText } from './json.ts';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

/** Function logs, numbered by a sequence that followers resume from. */
export class LogRepository {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /**
   * Inserts an attempt's logs unless they are already there, so a redelivered result adds none.
   * Run as the last step of a transaction: it takes a lock (per schema) held until commit, so
   * lines become visible in seq order. Without it, a transaction could commit seq 11 before
   * another commits seq 10, and a follower reading "after 10" right then would never see 10.
   * The same lock keeps two gateways recording one redelivered result from both inserting.
   */
  async appendOnce(result: InvocationResult): Promise<void> {
    const { fn, id, attempt, logs, endedAt } = result;
    if (logs.length === 0) return;
    await this.#db.query(
      "SELECT pg_advisory_xact_lock(hashtext('fjord-log-order:' || current_schema()))",
    );
    const seen = await this.#db.query(
      'SELECT 1 FROM logs WHERE invocation_id = $1 AND attempt = $2 LIMIT 1',
      [id, attempt],
    );
    if (seen.rowCount > 0) return;
    // One statement whatever the number of lines: three arrays, unnested in order. Defaults
    // keep a malformed line from making the whole result unrecordable.
    await this.#db.query(
      `INSERT INTO logs (fn, invocation_id, attempt, ts, level, message)
       SELECT $1, $2, $3, e.ts, e.level, e.message
       FROM unnest($4::bigint[], $5::text[], $6::text[]) WITH ORDINALITY
            AS e (ts, level, message, n)
       ORDER BY e.n`,
      [
        fn,
        id,
        attempt,
        logs.map((entry) => Math.round(Number.isFinite(entry.ts) ? entry.ts : endedAt)),
        logs.map((entry) => safeText(typeof entry.level === 'string' ? entry.level : 'info')),
        logs.map((entry) => safeText(typeof entry.message === 'string' ? entry.message : '')),
      ],
    );
  }

  /**
   * Ascending by seq. With `afterSeq`, the first `limit` records after it (follow); without it,
   * the last `limit` records (tail), still in ascending order.
   */
  async list(fn: string, query: LogQuery = {}): Promise<LogRecord[]> {
    const params: unknown[] = [fn, clampLimit(query.limit)];
    const filters = ['fn = $1'];
    if (query.invocationId !== undefined) {
      params.push(query.invocationId);
      filters.push(`invocation_id = $${params.length}`);
    }
    if (query.afterSeq !== undefined) {
      params.push(query.afterSeq);
      filters.push(`seq > $${params.length}`);
    }
    const select = `SELECT seq, fn, invocation_id AS "invocationId", ts, level, message
                    FROM logs WHERE ${filters.join(' AND ')}`;
    const sql =
      query.afterSeq === undefined
        ? `SELECT * FROM (${select} ORDER BY seq DESC LIMIT $2) AS tail ORDER BY seq`
        : `${select} ORDER BY seq LIMIT $2`;
    const { rows } = await this.#db.query<LogRecord>(sql, params);
    return rows;
  }

  async deleteForFunction(fn: string): Promise<void> {
    await this.#db.query('DELETE FROM logs WHERE fn = $1', [fn]);
  }
}

function clampLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_LIMIT;
  return Math.min(Math.max(Math.trunc(limit), 1), MAX_LIMIT);
}
