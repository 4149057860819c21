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
import type { Queryable } from './database.ts';

/** API tokens: the plaintext leaves once, at creation; only sha256 of its secret is kept. */
export class TokenRepository {
  readonly #db: Queryable;
  readonly #now: () => number;

  constructor(db: Queryable, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  async create(scope: TokenScope, label: string): Promise<{ record: TokenRecord; token: string }> {
    const { id, hash, token } = newToken();
    const record: TokenRecord = { id, scope, label, createdAt: this.#now() };
    await this.#db.query(`INSERT INTO tokens (${TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5)`, [
      id,
      hash,
      scope,
      label,
      record.createdAt,
    ]);
    return { record, token };
  }

  /** Never throws for bad input: anything that is not a known, matching token is undefined. */
  async verify(token: unknown): Promise<TokenRecord | undefined> {
    const parsed = parseToken(token);
    if (parsed === undefined) return undefined;
    const { rows } = await this.#db.query<TokenRow>(
      `SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id = $1`,
      [parsed.id],
    );
    const row = rows[0];
    return row === undefined ? undefined : verifiedToken(row, parsed.secret);
  }

  /** Oldest first; the hash is never read. */
  async list(): Promise<TokenRecord[]> {
    const { rows } = await this.#db.query<TokenRecordRow>(
      `SELECT ${TOKEN_RECORD_COLUMNS} FROM tokens ORDER BY created_at, id`,
    );
    return rows.map(tokenRecord);
  }

  async delete(id: string): Promise<boolean> {
    const { rowCount } = await this.#db.query('DELETE FROM tokens WHERE id = $1', [id]);
    return rowCount > 0;
  }
}
