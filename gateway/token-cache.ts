import { hash } from 'node:crypto';
import type { Store, TokenRecord } from '../core/store.ts';

/**
 * What checks a bearer token: the store, or a {@link TokenCache} in front of it, which can also
 * answer without a promise for a token it verified recently.
 */
export type TokenVerifier = Pick<Store, 'verifyToken'> & {
  known?(token: string): TokenRecord | undefined;
};

/** A {@link TokenVerifier} that can be told a token is gone (DELETE /v1/tokens/ID). */
export interface TokenGate extends TokenVerifier {
  /** Stops believing the token with this record id, so its next request asks the store. */
  forget(id: string): void;
}

export interface TokenCacheOptions {
  /** How long a verified token is believed without asking the store again; 0 disables. */
  ttlMs: number;
  /** Most tokens kept at once; the oldest goes first. */
  maxEntries?: number;
  now: () => number;
}

interface Entry {
  record: TokenRecord;
  expiresAt: number;
}

const DEFAULT_MAX_ENTRIES = 1000;

/**
 * Verified tokens for a short TTL, so a client sending requests back to back costs one store
 * read (a SELECT and a sha256) per TTL instead of one per request. Only successes are kept: an
 * unknown or wrong token asks the store every time. Entries are keyed by sha256 of the whole
 * token, so the cache holds no secret, and a wrong secret with a known token id is another key.
 * A token deleted from the store still works here until its entry expires, at most the TTL;
 * every gateway forgets it at once when it hears of the deletion ({@link TokenCache.forget}: the
 * gateway that deleted it, and the others through the control fanout's token-deleted notice).
 * A store read under way when a token is forgotten is not cached: it may predate the deletion.
 */
export class TokenCache implements TokenGate {
  readonly #store: TokenVerifier;
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  /** Counts forgets: a store read that began before one is not cached. */
  #forgets = 0;

  constructor(store: TokenVerifier, options: TokenCacheOptions) {
    this.#store = store;
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.#now = options.now;
  }

  async verifyToken(token: string): Promise<TokenRecord | undefined> {
    if (this.#ttlMs <= 0) return this.#store.verifyToken(token);
    const key = keyOf(token);
    const cached = this.#fresh(key);
    if (cached !== undefined) return cached;
    const forgets = this.#forgets;
    const record = await this.#store.verifyToken(token);
    if (record !== undefined && forgets === this.#forgets) this.#remember(key, record);
    return record;
  }

  /**
   * The record of a token verified within the TTL, else `undefined` (then ask
   * {@link verifyToken}). Synchronous, so that a request with a cached token does not wait a
   * turn of the microtask queue for its answer.
   */
  known(token: string): TokenRecord | undefined {
    return this.#ttlMs <= 0 ? undefined : this.#fresh(keyOf(token));
  }

  #fresh(key: string): TokenRecord | undefined {
    const cached = this.#entries.get(key);
    if (cached === undefined) return undefined;
    if (cached.expiresAt > this.#now()) return cached.record;
    this.#entries.delete(key);
    return undefined;
  }

  /** Entries are keyed by the token's hash, not its id: a scan, over at most maxEntries. */
  forget(id: string): void {
    this.#forgets += 1;
    for (const [key, entry] of this.#entries) {
      if (entry.record.id === id) this.#entries.delete(key);
    }
  }

  #remember(key: string, record: TokenRecord): void {
    this.#entries.delete(key);
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { record, expiresAt: this.#now() + this.#ttlMs });
  }
}

/**
 * sha256 of the whole token: the cache then holds no secret (a heap snapshot of a long-running
 * gateway would otherwise show every token in use), and a wrong secret is another key. About
 * 1 µs a request; a cheaper, non-cryptographic hash could be made to collide.
 */
function keyOf(token: string): string {
  return hash('sha256', token, 'base64');
}
