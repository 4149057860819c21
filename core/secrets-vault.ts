import { FjordError } from './errors.ts';
import type { SecretCipher } from './secrets-cipher.ts';
import {
  MAX_SECRET_BYTES,
  SECRET_KEY_PATTERN,
  type SecretInfo,
  type SecretStore,
} from './secrets.ts';

/**
 * Secrets over a {@link SecretStore}: checks keys and values, seals on the way in and opens on
 * the way out. Without a cipher (no secrets key configured) secrets can still be listed and
 * removed, but not set or opened: SECRETS_KEY_MISSING says how to configure one.
 */
export class SecretVault {
  readonly #store: SecretStore;
  readonly #cipher: SecretCipher | undefined;

  constructor(store: SecretStore, cipher: SecretCipher | undefined) {
    this.#store = store;
    this.#cipher = cipher;
  }

  async set(fn: string, key: string, value: string): Promise<SecretInfo> {
    checkKey(key);
    if (value.length === 0) throw new FjordError('INVALID_SECRET', `secret ${key} is empty`);
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > MAX_SECRET_BYTES) {
      throw new FjordError(
        'INVALID_SECRET',
        `secret ${key} is ${bytes} bytes; the most is ${MAX_SECRET_BYTES}`,
      );
    }
    return this.#store.putSecret(fn, key, this.#requireCipher().seal(fn, key, value));
  }

  list(fn: string): Promise<SecretInfo[]> {
    return this.#store.listSecrets(fn);
  }

  async remove(fn: string, key: string): Promise<void> {
    checkKey(key);
    if (!(await this.#store.deleteSecret(fn, key))) {
      throw new FjordError('SECRET_NOT_FOUND', `function ${fn} has no secret ${key}`);
    }
  }

  /** The values of those of `keys` that are set; absent keys are left out. */
  async reveal(fn: string, keys: readonly string[]): Promise<Record<string, string>> {
    if (keys.length === 0) return {};
    const sealed = await this.#store.getSealedSecrets(fn, keys);
    if (sealed.length === 0) return {};
    const cipher = this.#requireCipher();
    const values: Record<string, string> = {};
    for (const secret of sealed) values[secret.key] = cipher.open(fn, secret.key, secret.sealed);
    return values;
  }

  #requireCipher(): SecretCipher {
    if (this.#cipher === undefined) {
      throw new FjordError(
        'SECRETS_KEY_MISSING',
        'this gateway has no secrets key: start it with FN_SECRETS_KEY (32 random bytes, base64: openssl rand -base64 32) or --secrets-key-file FILE',
      );
    }
    return this.#cipher;
  }
}

function checkKey(key: string): void {
  if (!SECRET_KEY_PATTERN.test(key)) {
    throw new FjordError(
      'INVALID_SECRET',
      `secret key "${key.slice(0, 130)}" must be letters, digits and underscores, not starting with a digit (at most 128)`,
    );
  }
}
