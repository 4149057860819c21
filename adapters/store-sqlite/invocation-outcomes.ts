import type { DeadLetter } from '../../core/messages.ts';
import { isStaleLetter, type StalenessRow } from '../sql-store/invocation-rows.ts';
import type { Connection } from './connection.ts';

/**
 * The status changes of an invocation that do not come from a result: cancellation, death by
 * dead letter, and resurrection by redrive. Each runs inside its caller's transaction.
 */
export class InvocationOutcomes {
  readonly #db: Connection;

  constructor(db: Connection) {
    this.#db = db;
  }

  /** Cancels a queued or retrying invocation; false when it was in any other status. */
  cancel(id: string, at: number): boolean {
    const { changes } = this.#db.run(
      `UPDATE invocations SET status = 'cancelled', ended_at = :at, next_attempt_at = NULL
       WHERE id = :id AND status IN ('queued', 'retrying')`,
      { id, at },
    );
    return changes > 0;
  }

  /** See Store.listCancelled (no index: a scan, once per node start). */
  listCancelled(since: number, limit: number): string[] {
    return this.#db
      .all<{ id: string }>(
        `SELECT id FROM invocations WHERE status = 'cancelled' AND ended_at >= :since
         ORDER BY ended_at DESC LIMIT :limit`,
        { since, limit },
      )
      .map((row) => row.id);
  }

  /**
   * True when `letter` must be ignored: its invocation was cancelled, or the attempt it gave up
   * on was redriven already (a duplicate that arrived after the redrive).
   */
  isStale(letter: DeadLetter): boolean {
    const row = this.#db.get<StalenessRow>(
      'SELECT status, redriven_through FROM invocations WHERE id = :id',
      { id: letter.message.id },
    );
    return isStaleLetter(row, letter);
  }

  /**
   * Makes the invocation `dead`, creating its record when the letter overtook everything else.
   * A refused delivery (`ran: false`) has no result coming, so it also claims its attempt: a
   * late result of an earlier attempt then cannot make the invocation `retrying` again.
   */
  markDead(letter: DeadLetter): void {
    const { message } = letter;
    this.#db.run(
      `INSERT INTO invocations (id, call_id, fn, version, mode, trigger_kind, status, attempts,
                                queued_at, ended_at, error, result_attempt)
       VALUES (:id, :callId, :fn, :version, 'async', :trigger, 'dead', :attempt, :queuedAt,
               :deadAt, :error, :claimed)
       ON CONFLICT (id) DO UPDATE SET
         status = 'dead', error = excluded.error, next_attempt_at = NULL,
         attempts = max(invocations.attempts, excluded.attempts),
         ended_at = coalesce(invocations.ended_at, excluded.ended_at),
         result_attempt = max(coalesce(invocations.result_attempt, 0),
                              coalesce(excluded.result_attempt, 0))
       WHERE invocations.status <> 'cancelled'
         AND (invocations.result_attempt IS NULL OR invocations.result_attempt <= :attempt)`,
      {
        id: message.id,
        callId: message.callId,
        fn: message.fn.name,
        version: message.fn.version,
        trigger: message.payload.kind === 'http' ? 'http' : 'event',
        attempt: letter.attempt,
        queuedAt: message.acceptedAt,
        deadAt: letter.deadAt,
        error: JSON.stringify(letter.error),
        claimed: letter.ran ? undefined : letter.attempt,
      },
    );
  }

  /**
   * Reopens a dead invocation whose message was enqueued again: `queued`, and every attempt up
   * to `attempt` settled, so nothing late from the dead series can change it any more.
   */
  markRedriven(id: string, attempt: number): void {
    this.#db.run(
      `UPDATE invocations SET status = 'queued', next_attempt_at = NULL, ended_at = NULL,
         redriven_through = :attempt,
         result_attempt = max(coalesce(result_attempt, 0), :attempt)
       WHERE id = :id`,
      { id, attempt },
    );
  }
}
