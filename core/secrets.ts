/**
 * Secrets: values a function declares by name in fn.json (`"secrets": ["API_KEY"]`) and reads as
 * `env.API_KEY`. They are set per function name (`fn secret set NAME KEY`), kept sealed
 * (core/secrets-cipher.ts) by the store, and opened only for the functions that declare them.
 *
 * This port deliberately knows nothing of keys or plaintext: the store holds sealed strings,
 * so a copy of the database alone reveals nothing.
 */
import type { FunctionSpec } from './messages.ts';

/** What may be shown about a secret: its name and when it was last set, never its value. */
export interface SecretInfo {
  key: string;
  /** Epoch ms of the last `set`. */
  updatedAt: number;
}

/** A secret as the store keeps it. */
export interface SealedSecret extends SecretInfo {
  /** The value sealed by core/secrets-cipher.ts; opaque to the store. */
  sealed: string;
}

/** The part of the Store that keeps secrets, per function name (the function need not exist). */
export interface SecretStore {
  /** Creates or replaces `key` of `fn`; returns its new info. */
  putSecret(fn: string, key: string, sealed: string): Promise<SecretInfo>;
  /** Every secret of `fn`, by key. */
  listSecrets(fn: string): Promise<SecretInfo[]>;
  /** The sealed values of those of `keys` that are set, by key. */
  getSealedSecrets(fn: string, keys: readonly string[]): Promise<SealedSecret[]>;
  /** False when `key` was not set. */
  deleteSecret(fn: string, key: string): Promise<boolean>;
}

/**
 * The declared secrets of one function version, opened, by key. A node asks it once per
 * invocation of a function that declares secrets, so a rotation reaches the next invocation.
 */
export type SecretSource = (fn: FunctionSpec) => Promise<Record<string, string>>;

/** A secret's key: an environment variable name, as fn.json `env` keys. */
export const SECRET_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** Largest secret value, in bytes (UTF-8). */
export const MAX_SECRET_BYTES = 64 * 1024;
