import { chmodSync, existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Store, TokenScope } from '../core/store.ts';

/** The file `fn up` and `fn gateway` write and the CLI reads. */
export interface CredentialsFile {
  gateway: string;
  token: string;
}

/**
 * Makes sure `<dataDir>/credentials.json` holds a valid admin token for `gatewayUrl`: reuses the
 * token already there when the store still knows it, creates one otherwise. Mode 0600.
 */
export async function ensureAdminCredentials(
  store: Store,
  dataDir: string,
  gatewayUrl: string,
): Promise<CredentialsFile> {
  const path = join(dataDir, 'credentials.json');
  const existing = readJson(path);
  let token = existing?.token;
  if (token === undefined || (await store.verifyToken(token))?.scope !== 'admin') {
    token = (await store.createToken('admin', 'created by fn up/gateway')).token;
  }
  const credentials = { gateway: gatewayUrl, token };
  writeSecret(path, JSON.stringify(credentials, null, 2) + '\n');
  return credentials;
}

/** Like {@link ensureAdminCredentials} for the token runtime nodes use (`<dataDir>/node-token`). */
export async function ensureToken(store: Store, path: string, scope: TokenScope): Promise<string> {
  const existing = existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
  if (existing && (await store.verifyToken(existing))?.scope === scope) return existing;
  const { token } = await store.createToken(scope, `created by fn gateway for ${scope}`);
  writeSecret(path, token + '\n');
  return token;
}

function readJson(path: string): Partial<CredentialsFile> | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Partial<CredentialsFile>;
  } catch {
    return undefined;
  }
}

function writeSecret(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600);
}
