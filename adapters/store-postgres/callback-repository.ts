import type { CallbackOutcome, CallbackState, CallbackTask } from '../../core/store.ts';
import { CALLBACK_COLUMNS, toCallbackState, type CallbackRow } from '../sql-store/callback-rows.ts';
import { FINAL_SQL } from '../sql-store/invocation-rows.ts';
import type { Queryable } from './database.ts';
import { ms } from './invocation-repository.ts';
import { safeText } from './json.ts';

/**
 * X-Callback-Url deliveries. A callback waits until its invocation ends, is then due, and is
 * leased to one gateway per try (FOR UPDATE SKIP LOCKED), so several gateways share the work
 * and a gateway that dies mid-try only delays it until the lease runs out.
 */
export class CallbackRepository {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /** Registers the callback of a new invocation (due at once if the result got there first). */
  async create(id: string, fn: string, url: string, now: number): Promise<void> {
    await this.#db.query(
      `INSERT INTO callbacks (invocation_id, fn, url, state) VALUES ($1, $2, $3, 'waiting')
       ON CONFLICT (invocation_id) DO NOTHING`,
      [id, fn, url],
    );
    await this.activate(id, now);
  }

  /** Makes a waiting callback due, if its invocation has reached a final status. */
  async activate(id: string, now: number): Promise<void> {
    await this.#db.query(
      `UPDATE callbacks SET state = 'pending', next_at = $2
       WHERE invocation_id = $1 AND state = 'waiting'
         AND EXISTS (SELECT 1 FROM invocations WHERE id = $1 AND status IN ${FINAL_SQL})`,
      [id, ms(now)],
    );
  }

  /** Starts over, for an invocation that runs again (a redrive). */
  async reset(id: string): Promise<void> {
    await this.#db.query(
      `UPDATE callbacks SET state = 'waiting', attempts = 0, next_at = NULL, lease_until = NULL,
         last_status = NULL, last_error = NULL, delivered_at = NULL
       WHERE invocation_id = $1`,
      [id],
    );
  }

  async get(id: string): Promise<CallbackState | undefined> {
    const { rows } = await this.#db.query<CallbackRow>(
      `SELECT ${CALLBACK_COLUMNS}
       FROM callbacks WHERE invocation_id = $1`,
      [id],
    );
    const row = rows[0];
    return row === undefined ? undefined : toCallbackState(row);
  }

  /** Leases due callbacks whose lease (if any) ran out, earliest first. */
  async claim(now: number, limit: number, leaseUntil: number): Promise<CallbackTask[]> {
    const { rows } = await this.#db.query<{
      invocation_id: string;
      url: string;
      attempts: number;
      next_at: number;
    }>(
      `WITH due AS (
         SELECT invocation_id FROM callbacks
         WHERE state = 'pending' AND next_at <= $1
           AND (lease_until IS NULL OR lease_until <= $1)
         ORDER BY next_at LIMIT $2
         FOR UPDATE SKIP LOCKED)
       UPDATE callbacks c SET lease_until = $3 FROM due
       WHERE c.invocation_id = due.invocation_id
       RETURNING c.invocation_id, c.url, c.attempts, c.next_at`,
      [ms(now), limit, ms(leaseUntil)],
    );
    // RETURNING keeps no order: earliest due first, as the SQLite store hands them out.
    return rows
      .sort((a, b) => a.next_at - b.next_at)
      .map((row) => ({
        invocationId: row.invocation_id,
        url: row.url,
        attempts: row.attempts,
      }));
  }

  /** Records one try; ignored when the callback was reset meanwhile (it is not pending). */
  async record(id: string, outcome: CallbackOutcome): Promise<void> {
    const state = outcome.delivered
      ? 'delivered'
      : outcome.nextAt === undefined
        ? 'failed'
        : 'pending';
    await this.#db.query(
      `UPDATE callbacks SET attempts = attempts + 1, state = $2, next_at = $3,
         lease_until = NULL, last_status = $4, last_error = $5, delivered_at = $6
       WHERE invocation_id = $1 AND state = 'pending'`,
      [
        id,
        state,
        ms(outcome.nextAt),
        outcome.status ?? null,
        outcome.error === undefined ? null : safeText(outcome.error),
        outcome.delivered ? ms(outcome.at) : null,
      ],
    );
  }

  async deleteForFunction(fn: string): Promise<void> {
    await this.#db.query('DELETE FROM callbacks WHERE fn = $1', [fn]);
  }
}
