import type { TokenRecord, TokenScope } from '../../core/store.ts';
import {
  TOKEN_COLUMNS,
  newToken,
  parseToken,
  verifiedToken,
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
}
