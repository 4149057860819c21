import { FjordError } from '../../core/errors.ts';
import type { IdempotencyClaim } from '../../core/store.ts';
import type { Queryable } from './database.ts';

/** Expired claims removed per new claim: the table stays small without a sweeper. */
const EXPIRED_PER_CLAIM = 100;
/** A live claim released between our insert and our read is claimed again this many times. */
const CLAIM_TRIES = 3;

/** `Idempotency-Key` claims: which invocation a key stands for, until it expires. */
export class IdempotencyRepository {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /**
   * Claims the key unless a live claim exists, which is returned instead. The claim is one
   * INSERT ... ON CONFLICT that takes over only an expired row: PostgreSQL locks the row, so of
   * several gateways claiming one key at once exactly one inserts or takes it over, and the
   * others see its claim. Runs outside a transaction (each statement commits by itself).
   */
  async claim(
    claim: IdempotencyClaim,
  ): Promise<{ invocationId: string; fingerprint: string } | undefined> {
    const { fn, key, now } = claim;
    // SKIP LOCKED: expired rows another gateway is removing or taking over are left to it.
    await this.#db.query(
      `DELETE FROM idempotency_keys WHERE (fn, key) IN (
         SELECT fn, key FROM idempotency_keys WHERE expires_at <= $1
         LIMIT ${EXPIRED_PER_CLAIM} FOR UPDATE SKIP LOCKED)`,
      [now],
    );
    for (let attempt = 1; attempt <= CLAIM_TRIES; attempt++) {
      const won = await this.#db.query(
        `INSERT INTO idempotency_keys (fn, key, invocation_id, fingerprint, expires_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (fn, key) DO UPDATE SET invocation_id = excluded.invocation_id,
           fingerprint = excluded.fingerprint, expires_at = excluded.expires_at
         WHERE idempotency_keys.expires_at <= $6`,
        [fn, key, claim.invocationId, claim.fingerprint, claim.expiresAt, now],
      );
      if (won.rowCount > 0) return undefined;
      const { rows } = await this.#db.query<{ invocation_id: string; fingerprint: string }>(
        `SELECT invocation_id, fingerprint FROM idempotency_keys
         WHERE fn = $1 AND key = $2 AND expires_at > $3`,
        [fn, key, now],
      );
      const live = rows[0];
      if (live !== undefined) {
        return { invocationId: live.invocation_id, fingerprint: live.fingerprint };
      }
    }
    throw new FjordError('CONFLICT', `idempotency key "${key}" kept changing hands; retry`);
  }

  async release(fn: string, key: string, invocationId: string): Promise<void> {
    await this.#db.query(
      'DELETE FROM idempotency_keys WHERE fn = $1 AND key = $2 AND invocation_id = $3',
      [fn, key, invocationId],
    );
  }

  async deleteForFunction(fn: string): Promise<void> {
    await this.#db.query('DELETE FROM idempotency_keys WHERE fn = $1', [fn]);
  }
}
