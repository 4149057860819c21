import type { IdempotencyClaim } from '../../core/store.ts';
import type { Connection } from './connection.ts';

/** Expired claims removed per new claim: the table stays small without a sweeper. */
const EXPIRED_PER_CLAIM = 100;

/** `Idempotency-Key` claims: which invocation a key stands for, until it expires. */
export class IdempotencyRepository {
  readonly #db: Connection;

  constructor(db: Connection) {
    this.#db = db;
  }

  /** Claims the key unless a live claim exists, which is returned instead. Run in a transaction. */
  claim(claim: IdempotencyClaim): { invocationId: string; fingerprint: string } | undefined {
    const { fn, key, now } = claim;
    this.#db.run(
      `DELETE FROM idempotency_keys WHERE rowid IN (
         SELECT rowid FROM idempotency_keys WHERE expires_at <= :now LIMIT ${EXPIRED_PER_CLAIM})`,
      { now },
    );
    const live = this.#db.get<{ invocation_id: string; fingerprint: string }>(
      `SELECT invocation_id, fingerprint FROM idempotency_keys
       WHERE fn = :fn AND key = :key AND expires_at > :now`,
      { fn, key, now },
    );
    if (live !== undefined) {
      return { invocationId: live.invocation_id, fingerprint: live.fingerprint };
    }
    this.#db.run(
      `INSERT INTO idempotency_keys (fn, key, invocation_id, fingerprint, expires_at)
       VALUES (:fn, :key, :id, :fingerprint, :expiresAt)
       ON CONFLICT (fn, key) DO UPDATE SET invocation_id = excluded.invocation_id,
         fingerprint = excluded.fingerprint, expires_at = excluded.expires_at`,
      {
        fn,
        key,
        id: claim.invocationId,
        fingerprint: claim.fingerprint,
        expiresAt: claim.expiresAt,
      },
    );
    return undefined;
  }

  release(fn: string, key: string, invocationId: string): void {
    this.#db.run(
      'DELETE FROM idempotency_keys WHERE fn = :fn AND key = :key AND invocation_id = :id',
      { fn, key, id: invocationId },
    );
  }

  deleteForFunction(fn: string): void {
    this.#db.run('DELETE FROM idempotency_keys WHERE fn = :fn', { fn });
  }
}
