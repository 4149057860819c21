/**
 * crypto.getRandomValues and crypto.randomUUID fed by the host's CSPRNG. Bytes are fetched in
 * blocks and handed out once, so a UUID does not cost a crossing to the host.
 */
import { MAX_RANDOM_BYTES } from '../protocol.ts';

const BLOCK = 4096;

type IntegerArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

function quotaExceeded(length: number): Error {
  const error = new Error(
    `The ArrayBufferView's byte length (${length}) exceeds the number of bytes of entropy available via this API (${MAX_RANDOM_BYTES})`,
  );
  error.name = 'QuotaExceededError';
  return error;
}

export interface WebCrypto {
  getRandomValues<T extends ArrayBufferView>(array: T): T;
  randomUUID(): string;
}

export function createCrypto(randomBytes: (length: number) => Uint8Array): WebCrypto {
  let pool: Uint8Array = new Uint8Array(0);
  let offset = 0;

  const take = (length: number): Uint8Array => {
    if (length > BLOCK) return randomBytes(length);
    if (offset + length > pool.length) {
      pool = randomBytes(BLOCK);
      offset = 0;
    }
    const bytes = pool.subarray(offset, offset + length);
    offset += length;
    return bytes;
  };

  const getRandomValues = <T extends ArrayBufferView>(array: T): T => {
    const integer =
      array instanceof Int8Array ||
      array instanceof Uint8Array ||
      array instanceof Uint8ClampedArray ||
      array instanceof Int16Array ||
      array instanceof Uint16Array ||
      array instanceof Int32Array ||
      array instanceof Uint32Array ||
      array instanceof BigInt64Array ||
      array instanceof BigUint64Array;
    if (!integer) {
      const error = new TypeError('getRandomValues: argument must be an integer typed array');
      error.name = 'TypeMismatchError';
      throw error;
    }
    const view = array as IntegerArray;
    if (view.byteLength > MAX_RANDOM_BYTES) throw quotaExceeded(view.byteLength);
    new Uint8Array(view.buffer, view.byteOffset, view.byteLength).set(take(view.byteLength));
    return array;
  };

  const randomUUID = (): string => {
    const bytes = Uint8Array.from(take(16));
    bytes[6] = (bytes[6]! & 0x0f) | 0x40;
    bytes[8] = (bytes[8]! & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  };

  return { getRandomValues, randomUUID };
}
