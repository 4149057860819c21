import type { CallbackOutcome, CallbackState, CallbackTask } from '../../core/store.ts';
import { CALLBACK_COLUMNS, toCallbackState, type CallbackRow } from '../sql-store/callback-rows.ts';
import { FINAL_SQL } from '../sql-store/invocation-rows.ts';
import type { Connection } from './connection.ts';

/**
 * Built once: a result makes this call, and the SQL is the key of the statement cache.
 * Positional parameters: see Connection.runValues.
 */
const ACTIVATE = `UPDATE callbacks SET state = 'pending', next_at = ?2
  WHERE invocation_id = ?1 AND state = 'waiting'
    AND EXISTS (SELECT 1 FROM invocations WHERE id = ?1 AND status IN ${FINAL_SQL})`;

const ANY_WAITING = `SELECT 1 FROM callbacks WHERE state = 'waiting' LIMIT 1`;

/**
 * X-Callback-Url deliveries. A callback waits until its invocation ends, is then due, and is
 * leased to one gateway per try, so several gateways can share the work and a gateway that dies
 * mid-try only delays it until the lease runs out.
 */
export class CallbackRepository {
  readonly #db: Connection;
  /**
   * Whether a callback waits, read once per connection epoch inside a write transaction (see
   * #noneWaiting). Most invocations have no callback, and a result burst then costs one read per
   * transaction instead of one activation statement per result.
   */
  #waiting: { epoch: number; any: boolean } | undefined;

  constructor(db: Connection) {
    this.#db = db;
  }

  /** Registers the callback of a new invocation (due at once if the result got there first). */
  create(id: string, fn: string, url: string, now: number): void {
    this.#db.run(
      `INSERT INTO callbacks (invocation_id, fn, url, state) VALUES (:id, :fn, :url, 'waiting')
       ON CONFLICT (invocation_id) DO NOTHING`,
      { id, fn, url },
    );
    this.#waiting = undefined;
    this.activate(id, now);
  }

  /** Makes a waiting callback due, if its invocation has reached a final status. */
  activate(id: string, now: number): void {
    if (this.#noneWaiting()) return;
    this.#db.runValues(ACTIVATE, [id, now]);
  }

  /** Starts over, for an invocation that runs again (a redrive). */
  reset(id: string): void {
    this.#db.run(
      `UPDATE callbacks SET state = 'waiting', attempts = 0, next_at = NULL, lease_until = NULL,
         last_status = NULL, last_error = NULL, delivered_at = NULL
       WHERE invocation_id = :id`,
      { id },
    );
    this.#waiting = undefined;
  }

  get(id: string): CallbackState | undefined {
    const row = this.#db.get<CallbackRow>(
      `SELECT ${CALLBACK_COLUMNS}
       FROM callbacks WHERE invocation_id = :id`,
      { id },
    );
    return row === undefined ? undefined : toCallbackState(row);
  }

  /** Leases due callbacks whose lease (if any) ran out, earliest first. */
  claim(now: number, limit: number, leaseUntil: number): CallbackTask[] {
    // A read first: the usual answer is "nothing due", and then no write lock is taken.
    const due = this.#db.get(
      `SELECT 1 FROM callbacks WHERE state = 'pending' AND next_at <= :now
         AND (lease_until IS NULL OR lease_until <= :now) LIMIT 1`,
      { now },
    );
    if (due === undefined) return [];
    return this.#db
      .all<{ invocation_id: string; url: string; attempts: number }>(
        `UPDATE callbacks SET lease_until = :leaseUntil
         WHERE invocation_id IN (
           SELECT invocation_id FROM callbacks
           WHERE state = 'pending' AND next_at <= :now
             AND (lease_until IS NULL OR lease_until <= :now)
           ORDER BY next_at LIMIT :limit)
         RETURNING invocation_id, url, attempts`,
        { now, limit, leaseUntil },
      )
      .map((row) => ({ invocationId: row.invocation_id, url: row.url, attempts: row.attempts }));
  }

  /** Records one try; ignored when the callback was reset meanwhile (it is not pending). */
  record(id: string, outcome: CallbackOutcome): void {
    const state = outcome.delivered
      ? 'delivered'
      : outcome.nextAt === undefined
        ? 'failed'
        : 'pending';
    this.#db.run(
      `UPDATE callbacks SET attempts = attempts + 1, state = :state, next_at = :nextAt,
         lease_until = NULL, last_status = :status, last_error = :error,
         delivered_at = :deliveredAt
       WHERE invocation_id = :id AND state = 'pending'`,
      {
        id,
        state,
        nextAt: outcome.nextAt,
        status: outcome.status,
        error: outcome.error,
        deliveredAt: outcome.delivered ? outcome.at : undefined,
      },
    );
  }

  /**
   * True when no callback waits. Inside a write transaction no other connection can make one
   * wait, so the answer holds until this connection's epoch changes (a commit, a rollback, a
   * savepoint) or its own create() or reset() makes one wait. Outside one nothing is assumed.
   */
  #noneWaiting(): boolean {
    const db = this.#db;
    if (!db.inTransaction) return false;
    const { epoch } = db;
    if (this.#waiting?.epoch !== epoch) {
      this.#waiting = { epoch, any: db.get(ANY_WAITING) !== undefined };
    }
    return !this.#waiting.any;
  }

  deleteForFunction(fn: string): void {
    this.#db.run('DELETE FROM callbacks WHERE fn = :fn', { fn });
  }
}
