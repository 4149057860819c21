import type { SealedSecret, SecretInfo } from '../../core/secrets.ts';
import { toSealedSecret, toSecretInfo, type SecretRow } from '../sql-store/secret-rows.ts';
import type { Connection } from './connection.ts';

/** Sealed secrets per function name (core/secrets.ts); this table never holds a plaintext. */
export class SecretRepository {
  readonly #db: Connection;
  readonly #now: () => number;

  constructor(db: Connection, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  put(fn: string, key: string, sealed: string): SecretInfo {
    const updatedAt = this.#now();
    this.#db.run(
      `INSERT INTO secrets (fn, key, sealed, updated_at) VALUES (:fn, :key, :sealed, :updatedAt)
       ON CONFLICT (fn, key) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at`,
      { fn, key, sealed, updatedAt },
    );
    return { key, updatedAt };
  }

  list(fn: string): SecretInfo[] {
    return this.#rows(fn).map(toSecretInfo);
  }

  /** A function has a handful of secrets: read them all and keep the asked ones. */
  sealed(fn: string, keys: readonly string[]): SealedSecret[] {
    const wanted = new Set(keys);
    return this.#rows(fn)
      .filter((row) => wanted.has(row.key))
      .map(toSealedSecret);
  }

  delete(fn: string, key: string): boolean {
    return (
      this.#db.run('DELETE FROM secrets WHERE fn = :fn AND key = :key', { fn, key }).changes > 0
    );
  }

  #rows(fn: string): SecretRow[] {
    return this.#db.all<SecretRow>(
      'SELECT key, sealed, updated_at FROM secrets WHERE fn = :fn ORDER BY key',
      { fn },
    );
  }
}
