import type { SealedSecret, SecretInfo } from '../../core/secrets.ts';

/** A row of the `secrets` table, as both SQL stores read it. */
export interface SecretRow {
  key: string;
  sealed: string;
  updated_at: number;
}

export function toSecretInfo(row: SecretRow): SecretInfo {
  return { key: row.key, updatedAt: Number(row.updated_at) };
}

export function toSealedSecret(row: SecretRow): SealedSecret {
  return { ...toSecretInfo(row), sealed: row.sealed };
}
