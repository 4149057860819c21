import type { DeadLetter } from '../../core/messages.ts';
import { isStaleLetter, type StalenessRow } from '../sql-store/invocation-rows.ts';
import type { Queryable } from './database.ts';
import { ms } from './invocation-repository.ts';
import { toJson } from './json.ts';

/**
 * The status changes of an invocation that do not come from a result: cancellation, death by
 * dead letter, and resurrection by redrive. Each runs inside its caller's transaction.
 */
export class InvocationOutcomes {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /** Cancels a queued or retrying invocation; false when it was in any other status. */
  async cancel(id: string, at: number): Promise<boolean> {
    const { rowCount } = await this.#db.query(
      `UPDATE invocations SET status = 'cancelled', ended_at = $2, next_attempt_at = NULL
       WHERE id = $1 AND status IN ('queued', 'retrying')`,
      [id, ms(at)],
    );
    return rowCount > 0;
  }

  /** See Store.listCancelled (no index: a scan, once per node start). */
  async listCancelled(since: number, limit: number): Promise<string[]> {
    const { rows } = await this.#db.query<{ id: string }>(
      `SELECT id FROM invocations WHERE status = 'cancelled' AND ended_at >= $1
       ORDER BY ended_at DESC LIMIT $2`,
      [ms(since), limit],
    );
    return rows.map((row) => row.id);
  }

  /**
   * True when `letter` must be ignored: its invocation was cancelled, or the attempt it gave up
   * on was redriven already (a duplicate that arrived after the redrive). Locks the record, so
   * the caller's decision holds until its transaction ends.
   */
  async isStale(letter: DeadLetter): Promise<boolean> {
    const { rows } = await this.#db.query<StalenessRow>(
      'SELECT status, redriven_through FROM invocations WHERE id = $1 FOR UPDATE',
      [letter.message.id],
    );
    return isStaleLetter(rows[0], letter);
  }

  /**
   * Makes the invocation `dead`, creating its record when the letter overtook everything else.
   * A refused delivery (`ran: false`) has no result coming, so it also claims its attempt: a
   * late result of an earlier attempt then cannot make the invocation `retrying` again.
   */
  async markDead(letter: DeadLetter): Promise<void> {
    const { message } = letter;
    await this.#db.query(
      `INSERT INTO invocations (id, call_id, fn, version, mode, trigger_kind, status, attempts,
                                queued_at, ended_at, error, result_attempt)
       VALUES ($1, $2, $3, $4, 'async', $5, 'dead', $6, $7, $8, $9::jsonb, $10)
       ON CONFLICT (id) DO UPDATE SET
         status = 'dead', error = excluded.error, next_attempt_at = NULL,
         attempts = greatest(invocations.attempts, excluded.attempts),
         ended_at = coalesce(invocations.ended_at, excluded.ended_at),
         result_attempt = greatest(coalesce(invocations.result_attempt, 0),
                                   coalesce(excluded.result_attempt, 0))
       WHERE invocations.status <> 'cancelled'
         AND (invocations.result_attempt IS NULL OR invocations.result_attempt <= $6)`,
      [
        message.id,
        message.callId,
        message.fn.name,
        message.fn.version,
        message.payload.kind === 'http' ? 'http' : 'event',
        letter.attempt,
        ms(message.acceptedAt),
        ms(letter.deadAt),
        toJson(letter.error),
        letter.ran ? null : letter.attempt,
      ],
    );
  }

  /**
   * Reopens a dead invocation whose message was enqueued again: `queued`, and every attempt up
   * to `attempt` settled, so nothing late from the dead series can change it any more.
   */
  async markRedriven(id: string, attempt: number): Promise<void> {
    await this.#db.query(
      `UPDATE invocations SET status = 'queued', next_attempt_at = NULL, ended_at = NULL,
         redriven_through = $2,
         result_attempt = greatest(coalesce(result_attempt, 0), $2)
       WHERE id = $1`,
      [id, attempt],
    );
  }
}
