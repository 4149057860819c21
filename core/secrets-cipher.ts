import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { FjordError } from './errors.ts';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** `v1.<key id>.<base64 of iv, tag and ciphertext>`: the id tells a wrong key from damage. */
const SEALED = /^v1\.([0-9a-f]{16})\.([A-Za-z0-9+/]+={0,2})$/;

/** What to do about a key that does not open a secret. */
const WRONG_KEY_HINT =
  'start the gateway with the key the secrets were set under (FN_SECRETS_KEY or --secrets-key-file), or set them again with `fn secret set`';

/**
 * Seals secret values with AES-256-GCM under the operator's key. Each value gets a random IV,
 * and `function/key` as additional data, so a sealed value copied to another key or function
 * does not open. The key's id (a hash prefix, not the key) travels with the value.
 */
export class SecretCipher {
  readonly #key: Buffer;
  /** First 8 bytes of sha256 of the key, hex: names the key in errors without revealing it. */
  readonly keyId: string;

  constructor(key: Uint8Array) {
    if (key.length !== KEY_BYTES) {
      throw new FjordError(
        'SECRETS_KEY_INVALID',
        `the secrets key must be ${KEY_BYTES} bytes, got ${key.length}`,
      );
    }
    this.#key = Buffer.from(key);
    this.keyId = createHash('sha256').update(this.#key).digest('hex').slice(0, 16);
  }

  /**
   * A key from its base64 text (FN_SECRETS_KEY, a key file); `source` names where it came
   * from in the error.
   */
  static fromBase64(text: string, source: string): SecretCipher {
    const trimmed = text.trim();
    const key = Buffer.from(trimmed, 'base64');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) || key.length !== KEY_BYTES) {
      throw new FjordError(
        'SECRETS_KEY_INVALID',
        `${source}: the secrets key must be ${KEY_BYTES} random bytes in base64 (make one with: openssl rand -base64 32)`,
      );
    }
    return new SecretCipher(key);
  }

  /** A fresh random key, base64, for a key file. */
  static generateBase64(): string {
    return randomBytes(KEY_BYTES).toString('base64');
  }

  seal(fn: string, key: string, value: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(aad(fn, key));
    const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    const sealed = Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
    return `v1.${this.keyId}.${sealed}`;
  }

  /** The value; SECRET_DECRYPT_FAILED when this key did not seal it or it was altered. */
  open(fn: string, key: string, sealed: string): string {
    const match = SEALED.exec(sealed);
    const bytes = Buffer.from(match?.[2] ?? '', 'base64');
    if (match === null || bytes.length < IV_BYTES + TAG_BYTES) {
      throw decryptFailed(`secret ${key} of ${fn} is not in a format this Fjord reads`);
    }
    if (match[1] !== this.keyId) {
      throw decryptFailed(
        `secret ${key} of ${fn} was sealed with secrets key ${match[1]}, but this gateway has key ${this.keyId}: ${WRONG_KEY_HINT}`,
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, bytes.subarray(0, IV_BYTES));
      decipher.setAAD(aad(fn, key));
      decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      const body = bytes.subarray(IV_BYTES + TAG_BYTES);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch {
      throw decryptFailed(
        `secret ${key} of ${fn} does not open with secrets key ${this.keyId} (altered, or sealed for another function): ${WRONG_KEY_HINT}`,
      );
    }
  }
}

function aad(fn: string, key: string): Buffer {
  return Buffer.from(`${fn}/${key}`, 'utf8');
}

function decryptFailed(message: string): FjordError {
  return new FjordError('SECRET_DECRYPT_FAILED', message);
}
