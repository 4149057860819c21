import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { TokenRecord, TokenScope } from '../../core/store.ts';
import type { Queryable } from './database.ts';

/** `fjd_<id>_<secret>`: 16 hex digits of id, then 32 random bytes in base64url (43 chars). */
const TOKEN_FORMAT = /^fjd_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

interface TokenRow {
  id: string;
  hash: string;
  scope: TokenScope;
  label: string;
  created_at: number;
}

/** API tokens: the plaintext leaves once, at creation; only sha256 of its secret is kept. */
export class TokenRepository {
  readonly #db: Queryable;
  readonly #now: () => number;

  constructor(db: Queryable, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  async create(scope: TokenScope, label: string): Promise<{ record: TokenRecord; token: string }> {
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const record: TokenRecord = { id, scope, label, createdAt: this.#now() };
    await this.#db.query(
      'INSERT INTO tokens (id, hash, scope, label, created_at) VALUES ($1, $2, $3, $4, $5)',
      [id, sha256(secret).toString('hex'), scope, label, record.createdAt],
    );
    return { record, token: `fjd_${id}_${secret}` };
  }

  /** Never throws for bad input: anything that is not a known, matching token is undefined. */
  async verify(token: unknown): Promise<TokenRecord | undefined> {
    if (typeof token !== 'string') return undefined;
    const match = TOKEN_FORMAT.exec(token);
    if (match === null) return undefined;
    const [, id = '', secret = ''] = match;
    const { rows } = await this.#db.query<TokenRow>(
      'SELECT id, hash, scope, label, created_at FROM tokens WHERE id = $1',
      [id],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    const stored = Buffer.from(row.hash, 'hex');
    const given = sha256(secret);
    if (stored.length !== given.length || !timingSafeEqual(stored, given)) return undefined;
    return { id: row.id, scope: row.scope, label: row.label, createdAt: row.created_at };
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
