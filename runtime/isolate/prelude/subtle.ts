/**
 * crypto.subtle, carried out by the host's WebCrypto. Only plain data crosses: algorithms with
 * their byte parameters, key material (JWK, or raw bytes for PBKDF2/HKDF), and bytes back. A
 * CryptoKey keeps its material in a private field; the host imports it again for each operation,
 * which also makes the host enforce the key's usages.
 */
import type { WireCryptoCall, WireKey, WireKeyPair } from '../crypto-protocol.ts';
import { DOMException } from './dom-exception.ts';
import type { HostCalls } from './host-calls.ts';

const CONSTRUCT = Symbol('construct');
let wireOf: (key: CryptoKey) => WireKey;

export class CryptoKey {
  readonly #wire: WireKey;
  readonly #extractable: boolean;
  readonly #algorithm: Readonly<Record<string, unknown>>;
  readonly #usages: readonly string[];

  static {
    wireOf = (key) => key.#wire;
  }

  constructor(key: typeof CONSTRUCT, wire: WireKey, extractable: boolean) {
    if (key !== CONSTRUCT) throw new TypeError('Illegal constructor');
    this.#wire = wire;
    this.#extractable = extractable;
    this.#algorithm = Object.freeze({ ...wire.algorithm });
    this.#usages = Object.freeze([...wire.usages]);
  }

  get type(): WireKey['type'] {
    return this.#wire.type;
  }

  get extractable(): boolean {
    return this.#extractable;
  }

  get algorithm(): Readonly<Record<string, unknown>> {
    return this.#algorithm;
  }

  get usages(): readonly string[] {
    return this.#usages;
  }

  get [Symbol.toStringTag](): string {
    return 'CryptoKey';
  }
}

/** A copy of a BufferSource as a Uint8Array that owns its bytes. */
function bytesOf(data: unknown, what: string): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data.slice(0));
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  }
  throw new TypeError(`${what} must be an ArrayBuffer or a view of one`);
}

/** An algorithm identifier as plain data: byte parameters copied, keys replaced by their wire form. */
function algorithmOf(algorithm: unknown): Record<string, unknown> {
  if (typeof algorithm === 'string') return { name: algorithm };
  if (typeof algorithm !== 'object' || algorithm === null) {
    throw new TypeError('algorithm must be a string or an object with a name');
  }
  const plain: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(algorithm)) {
    if (value instanceof CryptoKey) plain[name] = wireOf(value);
    else if (value instanceof ArrayBuffer || ArrayBuffer.isView(value))
      plain[name] = bytesOf(value, name);
    else if (name === 'hash') plain[name] = typeof value === 'string' ? value : algorithmOf(value);
    else plain[name] = value;
  }
  if (typeof plain.name !== 'string') throw new TypeError('algorithm must have a name');
  return plain;
}

function keyOf(key: unknown, what = 'key'): WireKey {
  if (!(key instanceof CryptoKey)) throw new TypeError(`${what} must be a CryptoKey`);
  return wireOf(key);
}

function toArrayBuffer(value: unknown): ArrayBuffer {
  const bytes = value as Uint8Array;
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? (bytes.buffer as ArrayBuffer)
    : bytes.slice().buffer;
}

function isPair(value: WireKey | WireKeyPair): value is WireKeyPair {
  return 'publicKey' in value;
}

export class SubtleCrypto {
  readonly #host: HostCalls;

  constructor(key: typeof CONSTRUCT, host: HostCalls) {
    if (key !== CONSTRUCT) throw new TypeError('Illegal constructor');
    this.#host = host;
  }

  #call(call: WireCryptoCall): Promise<unknown> {
    return this.#host.call('crypto', call);
  }

  async digest(algorithm: unknown, data: unknown): Promise<ArrayBuffer> {
    return toArrayBuffer(
      await this.#call({
        op: 'digest',
        algorithm: algorithmOf(algorithm),
        data: bytesOf(data, 'data'),
      }),
    );
  }

  encrypt(algorithm: unknown, key: unknown, data: unknown): Promise<ArrayBuffer> {
    return this.#keyed('encrypt', algorithm, key, data);
  }

  decrypt(algorithm: unknown, key: unknown, data: unknown): Promise<ArrayBuffer> {
    return this.#keyed('decrypt', algorithm, key, data);
  }

  sign(algorithm: unknown, key: unknown, data: unknown): Promise<ArrayBuffer> {
    return this.#keyed('sign', algorithm, key, data);
  }

  /** The operations that take an algorithm, a key and bytes, and give bytes back. */
  async #keyed(
    op: 'encrypt' | 'decrypt' | 'sign',
    algorithm: unknown,
    key: unknown,
    data: unknown,
  ): Promise<ArrayBuffer> {
    const call: WireCryptoCall = {
      op,
      algorithm: algorithmOf(algorithm),
      key: keyOf(key),
      data: bytesOf(data, 'data'),
    };
    return toArrayBuffer(await this.#call(call));
  }

  async verify(
    algorithm: unknown,
    key: unknown,
    signature: unknown,
    data: unknown,
  ): Promise<boolean> {
    const call: WireCryptoCall = {
      op: 'verify',
      algorithm: algorithmOf(algorithm),
      key: keyOf(key),
      signature: bytesOf(signature, 'signature'),
      data: bytesOf(data, 'data'),
    };
    return (await this.#call(call)) === true;
  }

  async importKey(
    format: string,
    keyData: unknown,
    algorithm: unknown,
    extractable: boolean,
    usages: Iterable<string>,
  ): Promise<CryptoKey> {
    const data =
      format === 'jwk'
        ? (JSON.parse(JSON.stringify(keyData)) as Record<string, unknown>)
        : bytesOf(keyData, 'keyData');
    const call: WireCryptoCall = {
      op: 'importKey',
      format: String(format),
      keyData: data,
      algorithm: algorithmOf(algorithm),
      usages: [...usages].map(String),
    };
    return new CryptoKey(CONSTRUCT, (await this.#call(call)) as WireKey, Boolean(extractable));
  }

  async exportKey(format: string, key: unknown): Promise<ArrayBuffer | Record<string, unknown>> {
    if (!(key instanceof CryptoKey)) throw new TypeError('key must be a CryptoKey');
    if (!key.extractable) throw new DOMException('key is not extractable', 'InvalidAccessError');
    const exported = await this.#call({
      op: 'exportKey',
      format: String(format),
      key: wireOf(key),
    });
    if (format === 'jwk') return { ...(exported as Record<string, unknown>), ext: true };
    return toArrayBuffer(exported);
  }

  async generateKey(
    algorithm: unknown,
    extractable: boolean,
    usages: Iterable<string>,
  ): Promise<CryptoKey | { publicKey: CryptoKey; privateKey: CryptoKey }> {
    const call: WireCryptoCall = {
      op: 'generateKey',
      algorithm: algorithmOf(algorithm),
      usages: [...usages].map(String),
    };
    const made = (await this.#call(call)) as WireKey | WireKeyPair;
    if (!isPair(made)) return new CryptoKey(CONSTRUCT, made, Boolean(extractable));
    return {
      // A public key is always extractable, as the standard says.
      publicKey: new CryptoKey(CONSTRUCT, made.publicKey, true),
      privateKey: new CryptoKey(CONSTRUCT, made.privateKey, Boolean(extractable)),
    };
  }

  async deriveBits(
    algorithm: unknown,
    baseKey: unknown,
    length?: number | null,
  ): Promise<ArrayBuffer> {
    const call: WireCryptoCall = {
      op: 'deriveBits',
      algorithm: algorithmOf(algorithm),
      key: keyOf(baseKey, 'baseKey'),
      length: length ?? null,
    };
    return toArrayBuffer(await this.#call(call));
  }

  async deriveKey(
    algorithm: unknown,
    baseKey: unknown,
    derivedKeyType: unknown,
    extractable: boolean,
    usages: Iterable<string>,
  ): Promise<CryptoKey> {
    const call: WireCryptoCall = {
      op: 'deriveKey',
      algorithm: algorithmOf(algorithm),
      key: keyOf(baseKey, 'baseKey'),
      derivedKeyType: algorithmOf(derivedKeyType),
      usages: [...usages].map(String),
    };
    return new CryptoKey(CONSTRUCT, (await this.#call(call)) as WireKey, Boolean(extractable));
  }

  async wrapKey(): Promise<never> {
    throw new DOMException(
      'wrapKey is not supported: exportKey, then encrypt',
      'NotSupportedError',
    );
  }

  async unwrapKey(): Promise<never> {
    throw new DOMException(
      'unwrapKey is not supported: decrypt, then importKey',
      'NotSupportedError',
    );
  }

  /** Cloudflare Workers' constant-time comparison of two equally long buffers. */
  timingSafeEqual(a: unknown, b: unknown): boolean {
    const left = bytesOf(a, 'a');
    const right = bytesOf(b, 'b');
    if (left.byteLength !== right.byteLength)
      throw new TypeError('timingSafeEqual: inputs must have the same length');
    let difference = 0;
    for (let i = 0; i < left.byteLength; i++) difference |= left[i]! ^ right[i]!;
    return difference === 0;
  }

  get [Symbol.toStringTag](): string {
    return 'SubtleCrypto';
  }
}

export function createSubtle(host: HostCalls): SubtleCrypto {
  return new SubtleCrypto(CONSTRUCT, host);
}
