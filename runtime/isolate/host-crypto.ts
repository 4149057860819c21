/**
 * The host's half of crypto.subtle: runs each {@link WireCryptoCall} on Node's WebCrypto and
 * answers with plain data. Keys are imported from their material for every operation, so the
 * host keeps no key state per isolate and enforces each key's usages itself.
 */
import { webcrypto } from 'node:crypto';
import type { WireAlgorithm, WireCryptoCall, WireKey, WireKeyPair } from './crypto-protocol.ts';

type Subtle = webcrypto.SubtleCrypto;
type HostKey = webcrypto.CryptoKey;
type KeyUsage = webcrypto.KeyUsage;

/** Base keys WebCrypto refuses to make extractable: their raw bytes travel instead. */
const RAW_ONLY = new Set(['PBKDF2', 'HKDF']);
/** Bytes one operation may hash, sign or encrypt; larger inputs are a function bug or an attack. */
const MAX_INPUT_BYTES = 32 * 1024 * 1024;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !ArrayBuffer.isView(value);
}

function isWireKey(value: unknown): value is WireKey {
  return (
    isRecord(value) &&
    isRecord(value.material) &&
    isRecord(value.algorithm) &&
    Array.isArray(value.usages)
  );
}

function bytes(value: unknown, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${what} must be bytes`);
  if (value.byteLength > MAX_INPUT_BYTES) {
    throw new RangeError(`${what} is larger than ${MAX_INPUT_BYTES} bytes`);
  }
  return value;
}

function usagesOf(value: unknown): KeyUsage[] {
  if (!Array.isArray(value) || !value.every((u) => typeof u === 'string')) {
    throw new TypeError('usages must be a list of strings');
  }
  return value as KeyUsage[];
}

function nameOf(algorithm: Record<string, unknown>): string {
  return typeof algorithm.name === 'string' ? algorithm.name.toUpperCase() : '';
}

/** A fresh Uint8Array over exactly the result's bytes. */
function resultBytes(buffer: ArrayBuffer): Uint8Array {
  return new Uint8Array(buffer);
}

export class HostCrypto {
  readonly #subtle: Subtle;

  constructor(subtle: Subtle = webcrypto.subtle) {
    this.#subtle = subtle;
  }

  /** Runs one call from the isolate; throws what WebCrypto throws. */
  async run(input: unknown): Promise<unknown> {
    if (!isRecord(input)) throw new TypeError('malformed crypto call');
    const call = input as WireCryptoCall;
    const subtle = this.#subtle;
    switch (call.op) {
      case 'digest':
        return resultBytes(
          await subtle.digest(
            (await this.#algorithm(call.algorithm)) as never,
            bytes(call.data, 'data'),
          ),
        );
      case 'encrypt':
      case 'decrypt':
      case 'sign': {
        const key = await this.#key(call.key);
        const algorithm = await this.#algorithm(call.algorithm);
        return resultBytes(
          await subtle[call.op](algorithm as never, key, bytes(call.data, 'data')),
        );
      }
      case 'verify': {
        const key = await this.#key(call.key);
        const algorithm = await this.#algorithm(call.algorithm);
        return subtle.verify(
          algorithm as never,
          key,
          bytes(call.signature, 'signature'),
          bytes(call.data, 'data'),
        );
      }
      case 'importKey':
        return this.#import(call.format, call.keyData, call.algorithm, usagesOf(call.usages));
      case 'exportKey': {
        const key = await this.#key(call.key);
        if (call.format === 'jwk') return subtle.exportKey('jwk', key);
        if (call.format !== 'raw' && call.format !== 'pkcs8' && call.format !== 'spki') {
          throw new TypeError(`unknown key format "${String(call.format)}"`);
        }
        return resultBytes(await subtle.exportKey(call.format, key));
      }
      case 'generateKey': {
        const made = await subtle.generateKey(
          (await this.#algorithm(call.algorithm)) as never,
          true,
          usagesOf(call.usages),
        );
        if ('publicKey' in made) {
          return {
            publicKey: await this.#wire(made.publicKey),
            privateKey: await this.#wire(made.privateKey),
          } satisfies WireKeyPair;
        }
        return this.#wire(made);
      }
      case 'deriveBits': {
        const key = await this.#key(call.key);
        const algorithm = await this.#algorithm(call.algorithm);
        return resultBytes(
          await subtle.deriveBits(algorithm as never, key, call.length ?? undefined),
        );
      }
      case 'deriveKey': {
        const key = await this.#key(call.key);
        const algorithm = await this.#algorithm(call.algorithm);
        const derivedType = await this.#algorithm(call.derivedKeyType);
        const derived = await subtle.deriveKey(
          algorithm as never,
          key,
          derivedType as never,
          true,
          usagesOf(call.usages),
        );
        return this.#wire(derived);
      }
      default:
        throw new TypeError(`unknown crypto operation "${String((call as { op?: unknown }).op)}"`);
    }
  }

  async #import(
    format: unknown,
    keyData: unknown,
    algorithmInput: unknown,
    usages: KeyUsage[],
  ): Promise<WireKey> {
    const algorithm = await this.#algorithm(algorithmInput);
    const rawOnly = RAW_ONLY.has(nameOf(algorithm));
    let key: HostKey;
    if (format === 'jwk') {
      if (!isRecord(keyData)) throw new TypeError('a jwk key must be an object');
      key = await this.#subtle.importKey(
        'jwk',
        keyData as webcrypto.JsonWebKey,
        algorithm as never,
        !rawOnly,
        usages,
      );
    } else if (format === 'raw' || format === 'pkcs8' || format === 'spki') {
      key = await this.#subtle.importKey(
        format,
        bytes(keyData, 'keyData'),
        algorithm as never,
        !rawOnly,
        usages,
      );
    } else {
      throw new TypeError(`unknown key format "${String(format)}"`);
    }
    return this.#wire(key, rawOnly ? (keyData as Uint8Array) : undefined);
  }

  /** The wire form of a host key: its material, algorithm, type and usages. */
  async #wire(key: HostKey, raw?: Uint8Array): Promise<WireKey> {
    const material: WireKey['material'] =
      raw === undefined
        ? {
            format: 'jwk',
            data: (await this.#subtle.exportKey('jwk', key)) as Record<string, unknown>,
          }
        : { format: 'raw', data: raw.slice() };
    const algorithm: Record<string, unknown> = {
      ...(key.algorithm as unknown as Record<string, unknown>),
    };
    if (isRecord(algorithm.hash)) algorithm.hash = { ...algorithm.hash };
    return { material, algorithm, type: key.type, usages: [...key.usages] };
  }

  async #key(wire: unknown): Promise<HostKey> {
    if (!isWireKey(wire)) throw new TypeError('malformed key');
    const { material, usages } = wire;
    const algorithm = { ...wire.algorithm };
    if (material.format === 'raw') {
      return this.#subtle.importKey(
        'raw',
        bytes(material.data, 'key'),
        algorithm as never,
        false,
        usagesOf(usages),
      );
    }
    if (material.format !== 'jwk' || !isRecord(material.data)) throw new TypeError('malformed key');
    return this.#subtle.importKey(
      'jwk',
      material.data as webcrypto.JsonWebKey,
      algorithm as never,
      true,
      usagesOf(usages),
    );
  }

  /** Revives keys inside algorithm parameters (ECDH's `public`). */
  async #algorithm(input: unknown): Promise<WireAlgorithm> {
    if (!isRecord(input) || typeof input.name !== 'string')
      throw new TypeError('algorithm must have a name');
    const algorithm: WireAlgorithm = {};
    for (const [name, value] of Object.entries(input)) {
      algorithm[name] = isWireKey(value) ? await this.#key(value) : value;
    }
    return algorithm;
  }
}
