import type { ScheduledRunClaim } from '../../core/store.ts';
import type { Connection } from './connection.ts';

/**
 * How long a claim is kept. Long past any clock skew between gateways: a gateway whose clock
 * lags must still find the claim of a tick another gateway already fired.
 */
const CLAIM_RETENTION_MS = 60 * 60 * 1000;
/** Old claims removed per new claim: the table stays small without a sweeper. */
const EXPIRED_PER_CLAIM = 100;

/** Claims of schedule ticks: which gateway fired which tick of which function. */
export class ScheduleRepository {
  readonly #db: Connection;

  constructor(db: Connection) {
    this.#db = db;
  }

  /** True when this insert made the claim; false when the tick was claimed before. */
  claim(claim: ScheduledRunClaim): boolean {
    const { fn, scheduledAt, invocationId, now } = claim;
    const { changes } = this.#db.run(
      `INSERT OR IGNORE INTO schedule_runs (fn, scheduled_at, invocation_id, claimed_at)
       VALUES (:fn, :scheduledAt, :invocationId, :now)`,
      { fn, scheduledAt, invocationId, now },
    );
    this.#db.run(
      `DELETE FROM schedule_runs WHERE rowid IN (
         SELECT rowid FROM schedule_runs WHERE fn = :fn AND scheduled_at < :before
         LIMIT ${EXPIRED_PER_CLAIM})`,
      { fn, before: now - CLAIM_RETENTION_MS },
    );
    return changes === 1;
  }

  release(fn: string, scheduledAt: number, invocationId: string): void {
    this.#db.run(
      `DELETE FROM schedule_runs
       WHERE fn = :fn AND scheduled_at = :scheduledAt AND invocation_id = :invocationId`,
      { fn, scheduledAt, invocationId },
    );
  }

  deleteForFunction(fn: string): void {
    this.#db.run('DELETE FROM schedule_runs WHERE fn = :fn', { fn });
  }
}
