import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { TokenRecord, TokenScope } from '../../core/store.ts';

/** `fjd_<id>_<secret>`: 16 hex digits of id, then 32 random bytes in base64url (43 chars). */
const TOKEN_FORMAT = /^fjd_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** A token as both SQL stores keep it: the hash of its secret, never the secret. */
export interface TokenRow {
  id: string;
  hash: string;
  scope: TokenScope;
  label: string;
  created_at: number;
}

/** The columns of a {@link TokenRow}. */
export const TOKEN_COLUMNS = 'id, hash, scope, label, created_at';

/** A fresh token: the plaintext to hand out once, and the id and hash to store. */
export function newToken(): { id: string; hash: string; token: string } {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, hash: sha256(secret).toString('hex'), token: `fjd_${id}_${secret}` };
}

/** Id and secret of a well-formed token; undefined for anything else. */
export function parseToken(token: unknown): { id: string; secret: string } | undefined {
  if (typeof token !== 'string') return undefined;
  const match = TOKEN_FORMAT.exec(token);
  if (match === null) return undefined;
  const [, id = '', secret = ''] = match;
  return { id, secret };
}

/** The columns of a token's record, never its hash: what a list of tokens reads. */
export const TOKEN_RECORD_COLUMNS = 'id, scope, label, created_at';

/** A {@link TokenRow} without its hash, as a list reads it. */
export type TokenRecordRow = Omit<TokenRow, 'hash'>;

/** The record a row (with or without its hash) stands for. */
export function tokenRecord(row: TokenRecordRow): TokenRecord {
  return { id: row.id, scope: row.scope, label: row.label, createdAt: row.created_at };
}

/** The record of a stored token when the secret matches its hash (compared in constant time). */
export function verifiedToken(row: TokenRow, secret: string): TokenRecord | undefined {
  const stored = Buffer.from(row.hash, 'hex');
  const given = sha256(secret);
  if (stored.length !== given.length || !timingSafeEqual(stored, given)) return undefined;
  return tokenRecord(row);
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
