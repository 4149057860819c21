/**
 * What crosses the bridge for crypto.subtle: plain algorithm objects, key material and bytes.
 * CryptoKey objects never cross; a key travels as its material plus the facts WebCrypto needs
 * to import it again.
 */

/** Key material: a JWK for keys WebCrypto can export, raw bytes for PBKDF2/HKDF base keys. */
export type WireKeyMaterial =
  { format: 'jwk'; data: Record<string, unknown> } | { format: 'raw'; data: Uint8Array };

export interface WireKey {
  material: WireKeyMaterial;
  /** The normalized algorithm the host reported (`{ name: 'HMAC', hash: { name }, length }`). */
  algorithm: Record<string, unknown>;
  type: 'secret' | 'public' | 'private';
  usages: string[];
}

export interface WireKeyPair {
  publicKey: WireKey;
  privateKey: WireKey;
}

/** Algorithm parameters: byte fields are Uint8Array, key fields (ECDH `public`) are WireKey. */
export type WireAlgorithm = Record<string, unknown>;

export type WireCryptoCall =
  | { op: 'digest'; algorithm: WireAlgorithm; data: Uint8Array }
  | { op: 'encrypt' | 'decrypt' | 'sign'; algorithm: WireAlgorithm; key: WireKey; data: Uint8Array }
  | {
      op: 'verify';
      algorithm: WireAlgorithm;
      key: WireKey;
      signature: Uint8Array;
      data: Uint8Array;
    }
  | {
      op: 'importKey';
      format: string;
      keyData: Uint8Array | Record<string, unknown>;
      algorithm: WireAlgorithm;
      usages: string[];
    }
  | { op: 'exportKey'; format: string; key: WireKey }
  | { op: 'generateKey'; algorithm: WireAlgorithm; usages: string[] }
  | { op: 'deriveBits'; algorithm: WireAlgorithm; key: WireKey; length: number | null }
  | {
      op: 'deriveKey';
      algorithm: WireAlgorithm;
      key: WireKey;
      derivedKeyType: WireAlgorithm;
      usages: string[];
    };
