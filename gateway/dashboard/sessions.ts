import { randomBytes } from 'node:crypto';
import type { TokenRecord } from '../../core/store.ts';

/** The cookie that carries a dashboard session id. */
export const SESSION_COOKIE = 'fjord_session';

interface Session {
  token: TokenRecord;
  expiresAt: number;
}

/**
 * Dashboard sessions: a random id (the cookie's value) mapped to the token record it was opened
 * with, until it expires. The token itself is never kept, so the cookie is worth nothing once
 * the session ends. In memory: a restarted gateway forgets its sessions (the user logs in again),
 * and behind a load balancer a session lives on the gateway that opened it (sticky sessions).
 */
export class SessionStore {
  readonly #sessions = new Map<string, Session>();
  readonly #ttlMs: number;
  readonly #maxSessions: number;
  readonly #now: () => number;

  constructor(options: { ttlMs: number; maxSessions: number; now: () => number }) {
    this.#ttlMs = options.ttlMs;
    this.#maxSessions = options.maxSessions;
    this.#now = options.now;
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }

  /** Opens a session for a verified token; returns its id and when it expires. */
  open(token: TokenRecord): { id: string; expiresAt: number } {
    this.#sweep();
    // Logging in again and again must not grow memory without bound: the oldest go first.
    while (this.#sessions.size >= this.#maxSessions) {
      const oldest = this.#sessions.keys().next();
      if (oldest.done === true) break;
      this.#sessions.delete(oldest.value);
    }
    const id = randomBytes(32).toString('base64url');
    const expiresAt = this.#now() + this.#ttlMs;
    this.#sessions.set(id, { token, expiresAt });
    return { id, expiresAt };
  }

  /** The token record of a live session, or undefined for an unknown or expired id. */
  resolve(id: string): { token: TokenRecord; expiresAt: number } | undefined {
    const session = this.#sessions.get(id);
    if (session === undefined) return undefined;
    if (session.expiresAt <= this.#now()) {
      this.#sessions.delete(id);
      return undefined;
    }
    return session;
  }

  /** Ends a session; false when there was none. */
  close(id: string): boolean {
    return this.#sessions.delete(id);
  }

  /** Ends every session opened with the token `tokenId` (it was deleted); how many there were. */
  closeForToken(tokenId: string): number {
    let closed = 0;
    for (const [id, session] of this.#sessions) {
      if (session.token.id === tokenId && this.#sessions.delete(id)) closed++;
    }
    return closed;
  }

  get size(): number {
    return this.#sessions.size;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [id, session] of this.#sessions) {
      if (session.expiresAt <= now) this.#sessions.delete(id);
    }
  }
}
