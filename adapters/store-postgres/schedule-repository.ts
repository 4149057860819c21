import type { ScheduledRunClaim } from '../../core/store.ts';
import type { Queryable } from './database.ts';

/**
 * How long a claim is kept. Long past any clock skew between gateways: a gateway whose clock
 * lags must still find the claim of a tick another gateway already fired.
 */
const CLAIM_RETENTION_MS = 60 * 60 * 1000;
/** Old claims removed per new claim: the table stays small without a sweeper. */
const EXPIRED_PER_CLAIM = 100;

/** Claims of schedule ticks: which gateway fired which tick of which function. */
export class ScheduleRepository {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /**
   * True when this insert made the claim; false when the tick was claimed before. The primary
   * key decides: of gateways inserting one tick at once, PostgreSQL lets exactly one in.
   */
  async claim(claim: ScheduledRunClaim): Promise<boolean> {
    const { fn, scheduledAt, invocationId, now } = claim;
    const { rowCount } = await this.#db.query(
      `INSERT INTO schedule_runs (fn, scheduled_at, invocation_id, claimed_at)
       VALUES ($1, $2, $3, $4) ON CONFLICT (fn, scheduled_at) DO NOTHING`,
      [fn, scheduledAt, invocationId, now],
    );
    await this.#db.query(
      `DELETE FROM schedule_runs WHERE (fn, scheduled_at) IN (
         SELECT fn, scheduled_at FROM schedule_runs WHERE fn = $1 AND scheduled_at < $2
         LIMIT ${EXPIRED_PER_CLAIM} FOR UPDATE SKIP LOCKED)`,
      [fn, now - CLAIM_RETENTION_MS],
    );
    return rowCount === 1;
  }

  async release(fn: string, scheduledAt: number, invocationId: string): Promise<void> {
    await this.#db.query(
      'DELETE FROM schedule_runs WHERE fn = $1 AND scheduled_at = $2 AND invocation_id = $3',
      [fn, scheduledAt, invocationId],
    );
  }

  async deleteForFunction(fn: string): Promise<void> {
    await this.#db.query('DELETE FROM schedule_runs WHERE fn = $1', [fn]);
  }
}
