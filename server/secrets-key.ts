import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FjordError } from '../core/errors.ts';
import { SecretCipher } from '../core/secrets-cipher.ts';

/** Where the secrets key comes from, strongest first. */
export interface SecretsKeyRequest {
  /** --secrets-key-file (or the config file's `secretsKeyFile`). */
  keyFile?: string;
  /** FN_SECRETS_KEY: the key itself, base64. */
  key?: string;
  /** Without either: create (or reuse) DIR/secrets.key, as `fn up` does for a local setup. */
  generateIn?: string;
}

/** The file `fn up` keeps its generated key in, inside the data dir. */
export const GENERATED_KEY_FILE = 'secrets.key';

/**
 * The cipher for secrets, or undefined when no key is configured (`fn gateway` without one:
 * several gateways must share a key, so none is made up). A generated key file is created
 * with mode 0600, once: an existing one is always reused, or its secrets would not open.
 */
export async function loadSecretsCipher(
  request: SecretsKeyRequest,
): Promise<SecretCipher | undefined> {
  if (request.keyFile !== undefined) {
    return SecretCipher.fromBase64(await readKeyFile(request.keyFile), request.keyFile);
  }
  if (request.key !== undefined && request.key !== '') {
    return SecretCipher.fromBase64(request.key, 'FN_SECRETS_KEY');
  }
  if (request.generateIn === undefined) return undefined;
  const path = join(request.generateIn, GENERATED_KEY_FILE);
  await mkdir(request.generateIn, { recursive: true });
  try {
    await writeFile(path, `${SecretCipher.generateBase64()}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return SecretCipher.fromBase64(await readKeyFile(path), path);
}

async function readKeyFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new FjordError(
      'SECRETS_KEY_INVALID',
      `cannot read the secrets key file ${path}: ${(error as Error).message}`,
    );
  }
}
