/** Blob and File over bytes held in memory (the File API's constructor, slice and readers). */
import { ReadableStream } from './streams.ts';
import { TextDecoder, TextEncoder } from './text-encoding.ts';

export type BlobPart = string | ArrayBuffer | ArrayBufferView | Blob;

export interface BlobPropertyBag {
  type?: string;
  endings?: 'transparent' | 'native';
}

/** The bytes of a view, copied so later writes to the source do not show through. */
export function copyOf(view: ArrayBuffer | ArrayBufferView): Uint8Array {
  if (view instanceof ArrayBuffer) return new Uint8Array(view.slice(0));
  return new Uint8Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
}

/** Joins byte chunks into one array. */
export function concatBytes(chunks: readonly Uint8Array[], total?: number): Uint8Array {
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0];
  const out = new Uint8Array(total ?? chunks.reduce((sum, c) => sum + c.byteLength, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

function normalizeType(type: string | undefined): string {
  const text = type === undefined ? '' : String(type);
  // A type with characters outside U+0020..U+007E is dropped, as the File API says.
  return /^[\x20-\x7e]*$/.test(text) ? text.toLowerCase() : '';
}

/** Bytes behind each Blob; a WeakMap so user code cannot reach or swap them. */
const contents = new WeakMap<Blob, Uint8Array>();

/** The bytes of `blob`, without a copy: callers must not modify them. */
export function blobBytes(blob: Blob): Uint8Array {
  const bytes = contents.get(blob);
  if (bytes === undefined) throw new TypeError('not a Blob');
  return bytes;
}

export class Blob {
  readonly #type: string;

  constructor(parts: Iterable<BlobPart> = [], options: BlobPropertyBag = {}) {
    if (typeof (parts as Partial<Iterable<BlobPart>> | null)?.[Symbol.iterator] !== 'function') {
      throw new TypeError('Blob: parts must be an iterable');
    }
    const encoder = new TextEncoder();
    const chunks: Uint8Array[] = [];
    for (const part of parts) {
      if (part instanceof Blob) chunks.push(blobBytes(part));
      else if (part instanceof ArrayBuffer || ArrayBuffer.isView(part)) chunks.push(copyOf(part));
      else chunks.push(encoder.encode(String(part)));
    }
    contents.set(this, chunks.length === 0 ? new Uint8Array(0) : concatBytes(chunks).slice());
    this.#type = normalizeType(options.type);
  }

  get size(): number {
    return blobBytes(this).byteLength;
  }

  get type(): string {
    return this.#type;
  }

  slice(start?: number, end?: number, contentType?: string): Blob {
    const bytes = blobBytes(this);
    const clamp = (value: number | undefined, fallback: number): number => {
      if (value === undefined) return fallback;
      const n = Math.trunc(Number(value)) || 0;
      return n < 0 ? Math.max(bytes.byteLength + n, 0) : Math.min(n, bytes.byteLength);
    };
    const from = clamp(start, 0);
    const to = Math.max(from, clamp(end, bytes.byteLength));
    return new Blob([bytes.subarray(from, to)], { type: contentType ?? '' });
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    return blobBytes(this).slice().buffer;
  }

  async bytes(): Promise<Uint8Array> {
    return blobBytes(this).slice();
  }

  async text(): Promise<string> {
    return new TextDecoder().decode(blobBytes(this));
  }

  stream(): ReadableStream<Uint8Array> {
    const bytes = blobBytes(this);
    return new ReadableStream<Uint8Array>({
      start(controller) {
        if (bytes.byteLength > 0) controller.enqueue(bytes.slice());
        controller.close();
      },
    });
  }

  get [Symbol.toStringTag](): string {
    return 'Blob';
  }
}

export class File extends Blob {
  readonly #name: string;
  readonly #lastModified: number;

  constructor(
    parts: Iterable<BlobPart>,
    name: string,
    options: BlobPropertyBag & { lastModified?: number } = {},
  ) {
    super(parts, options);
    if (arguments.length < 2) throw new TypeError('File: a name is required');
    this.#name = String(name);
    this.#lastModified =
      options.lastModified === undefined ? Date.now() : Number(options.lastModified);
  }

  get name(): string {
    return this.#name;
  }

  get lastModified(): number {
    return this.#lastModified;
  }

  override get [Symbol.toStringTag](): string {
    return 'File';
  }
}
