import type { SealedSecret, SecretInfo } from '../../core/secrets.ts';
import { toSealedSecret, toSecretInfo, type SecretRow } from '../sql-store/secret-rows.ts';
import type { Queryable } from './database.ts';

/** Sealed secrets per function name (core/secrets.ts); this table never holds a plaintext. */
export class SecretRepository {
  readonly #db: Queryable;
  readonly #now: () => number;

  constructor(db: Queryable, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  async put(fn: string, key: string, sealed: string): Promise<SecretInfo> {
    const updatedAt = this.#now();
    await this.#db.query(
      `INSERT INTO secrets (fn, key, sealed, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (fn, key) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at`,
      [fn, key, sealed, updatedAt],
    );
    return { key, updatedAt };
  }

  async list(fn: string): Promise<SecretInfo[]> {
    const { rows } = await this.#db.query<SecretRow>(
      'SELECT key, sealed, updated_at FROM secrets WHERE fn = $1 ORDER BY key',
      [fn],
    );
    return rows.map(toSecretInfo);
  }

  async sealed(fn: string, keys: readonly string[]): Promise<SealedSecret[]> {
    const { rows } = await this.#db.query<SecretRow>(
      'SELECT key, sealed, updated_at FROM secrets WHERE fn = $1 AND key = ANY($2) ORDER BY key',
      [fn, [...keys]],
    );
    return rows.map(toSealedSecret);
  }

  async delete(fn: string, key: string): Promise<boolean> {
    const { rowCount } = await this.#db.query('DELETE FROM secrets WHERE fn = $1 AND key = $2', [
      fn,
      key,
    ]);
    return rowCount > 0;
  }
}
