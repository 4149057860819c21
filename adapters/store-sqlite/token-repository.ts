import type { TokenRecord, TokenScope } from '../../core/store.ts';
import {
  TOKEN_COLUMNS,
  TOKEN_RECORD_COLUMNS,
  newToken,
  parseToken,
  tokenRecord,
  verifiedToken,
  type TokenRecordRow,
  type TokenRow,
} from '../sql-store/token-rows.ts';
import type { Connection } from './connection.ts';

/** API tokens: the plaintext leaves once, at creation; only sha256 of its secret is kept. */
export class TokenRepository {
  readonly #db: Connection;
  readonly #now: () => number;

  constructor(db: Connection, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  create(scope: TokenScope, label: string): { record: TokenRecord; token: string } {
    const { id, hash, token } = newToken();
    const record: TokenRecord = { id, scope, label, createdAt: this.#now() };
    this.#db.run(
      `INSERT INTO tokens (${TOKEN_COLUMNS}) VALUES (:id, :hash, :scope, :label, :createdAt)`,
      { id, hash, scope, label, createdAt: record.createdAt },
    );
    return { record, token };
  }

  /** Never throws for bad input: anything that is not a known, matching token is undefined. */
  verify(token: unknown): TokenRecord | undefined {
    const parsed = parseToken(token);
    if (parsed === undefined) return undefined;
    const row = this.#db.get<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id = :id`, {
      id: parsed.id,
    });
    return row === undefined ? undefined : verifiedToken(row, parsed.secret);
  }

  /** Oldest first; the hash is never read. */
  list(): TokenRecord[] {
    return this.#db
      .all<TokenRecordRow>(`SELECT ${TOKEN_RECORD_COLUMNS} FROM tokens ORDER BY created_at, id`)
      .map(tokenRecord);
  }

  delete(id: string): boolean {
    return this.#db.run('DELETE FROM tokens WHERE id = :id', { id }).changes > 0;
  }
}
