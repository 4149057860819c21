/**
 * The body mixin shared by Request and Response. A body is either bytes (the common case, read
 * without any stream machinery) or a ReadableStream; touching `.body` turns bytes into a stream
 * so that reading through it disturbs the body as the Fetch standard says.
 */
import { Blob, blobBytes, concatBytes, copyOf } from './blob.ts';
import { FormData } from './form-data.ts';
import {
  decodeMultipart,
  decodeUrlEncoded,
  encodeMultipart,
  headerParameter,
} from './multipart.ts';
import { ReadableStream } from './streams.ts';
import { TextDecoder, TextEncoder } from './text-encoding.ts';

export type BodyInit =
  | string
  | ArrayBuffer
  | ArrayBufferView
  | URLSearchParams
  | Blob
  | FormData
  | ReadableStream<Uint8Array>;

/** Where a body's bytes come from. */
export type BodySource =
  { kind: 'bytes'; bytes: Uint8Array } | { kind: 'stream'; stream: ReadableStream<Uint8Array> };

/** Thrown by {@link Body.readAll} when a body is larger than the caller allows. */
export class BodyTooLarge extends RangeError {
  readonly limit: number;

  constructor(limit: number) {
    super(`body exceeds the limit of ${limit} bytes`);
    this.limit = limit;
  }
}

/** web-streams-polyfill keeps the standard's [[disturbed]] flag as `_disturbed`. */
function disturbed(stream: ReadableStream<Uint8Array>): boolean {
  return (stream as unknown as { _disturbed?: boolean })._disturbed === true;
}

function randomBoundary(): string {
  // A boundary only has to be absent from the content; it needs no secrecy.
  let suffix = '';
  for (let i = 0; i < 24; i++) suffix += Math.floor(Math.random() * 36).toString(36);
  return `----FjordFormBoundary${suffix}`;
}

/** Turns a BodyInit into a source and the Content-Type it implies (the Fetch standard's "extract"). */
export function extractBody(init: BodyInit | null | undefined): {
  source: BodySource | null;
  contentType: string | null;
} {
  if (init === null || init === undefined) return { source: null, contentType: null };
  if (typeof init === 'string') {
    return {
      source: { kind: 'bytes', bytes: new TextEncoder().encode(init) },
      contentType: 'text/plain;charset=UTF-8',
    };
  }
  if (init instanceof ReadableStream) {
    if (init.locked || disturbed(init)) {
      throw new TypeError('the ReadableStream body is locked or was already read');
    }
    return { source: { kind: 'stream', stream: init }, contentType: null };
  }
  if (init instanceof ArrayBuffer || ArrayBuffer.isView(init)) {
    return { source: { kind: 'bytes', bytes: copyOf(init) }, contentType: null };
  }
  if (init instanceof URLSearchParams) {
    return {
      source: { kind: 'bytes', bytes: new TextEncoder().encode(init.toString()) },
      contentType: 'application/x-www-form-urlencoded;charset=UTF-8',
    };
  }
  if (init instanceof Blob) {
    return { source: { kind: 'bytes', bytes: blobBytes(init) }, contentType: init.type || null };
  }
  if (init instanceof FormData) {
    const boundary = randomBoundary();
    return {
      source: { kind: 'bytes', bytes: encodeMultipart(init, boundary) },
      contentType: `multipart/form-data; boundary=${boundary}`,
    };
  }
  return extractBody(String(init));
}

/** A source as a BodyInit, to build another Request or Response on it. */
export function sourceAsInit(source: BodySource | null): BodyInit | null {
  if (source === null) return null;
  return source.kind === 'bytes' ? source.bytes : source.stream;
}

/** Reads a byte stream to its end, failing with {@link BodyTooLarge} past `limit` bytes. */
export async function readStream(
  stream: ReadableStream<Uint8Array>,
  limit: number,
): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!(value instanceof Uint8Array)) {
        throw new TypeError('a body stream must produce Uint8Array chunks');
      }
      total += value.byteLength;
      if (total > limit) throw new BodyTooLarge(limit);
      chunks.push(value);
    }
  } catch (error) {
    reader.cancel(error).catch(() => {});
    throw error;
  } finally {
    reader.releaseLock();
  }
  return concatBytes(chunks, total);
}

/** Request and Response inherit their body readers from here. */
export abstract class Body {
  #source: BodySource | null;
  #used = false;

  constructor(source: BodySource | null) {
    this.#source = source;
  }

  abstract get headers(): { get(name: string): string | null };

  get body(): ReadableStream<Uint8Array> | null {
    const source = this.#source;
    if (source === null) return null;
    if (source.kind === 'stream') return source.stream;
    const { bytes } = source;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        if (bytes.byteLength > 0) controller.enqueue(bytes);
        controller.close();
      },
    });
    this.#source = { kind: 'stream', stream };
    return stream;
  }

  get bodyUsed(): boolean {
    return this.#used || (this.#source?.kind === 'stream' && disturbed(this.#source.stream));
  }

  #checkUnused(): void {
    if (this.bodyUsed) throw new TypeError('Body has already been used');
    if (this.#source?.kind === 'stream' && this.#source.stream.locked) {
      throw new TypeError('the body stream is locked to a reader');
    }
  }

  /** Hands the source to another body (`new Request(request)`): this one is used up. */
  takeSource(): BodySource | null {
    if (this.#source === null) return null;
    this.#checkUnused();
    this.#used = true;
    return this.#source;
  }

  /** A second, independent source for clone(); a stream is teed. */
  cloneSource(): BodySource | null {
    this.#checkUnused();
    const source = this.#source;
    if (source === null) return null;
    // Bytes are copied by the body that receives them (see extractBody).
    if (source.kind === 'bytes') return source;
    const [mine, theirs] = source.stream.tee();
    this.#source = { kind: 'stream', stream: mine };
    return { kind: 'stream', stream: theirs };
  }

  /** Consumes the body: all of it, at most `limit` bytes. The result must not be modified. */
  async readAll(limit = Infinity): Promise<Uint8Array> {
    this.#checkUnused();
    this.#used = true;
    const source = this.#source;
    if (source === null) return new Uint8Array(0);
    if (source.kind === 'bytes') {
      if (source.bytes.byteLength > limit) throw new BodyTooLarge(limit);
      return source.bytes;
    }
    return readStream(source.stream, limit);
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    return (await this.readAll()).slice().buffer;
  }

  async bytes(): Promise<Uint8Array> {
    return (await this.readAll()).slice();
  }

  async text(): Promise<string> {
    return new TextDecoder().decode(await this.readAll());
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text()) as unknown;
  }

  async blob(): Promise<Blob> {
    const type = this.headers.get('content-type') ?? '';
    return new Blob([await this.readAll()], { type });
  }

  async formData(): Promise<FormData> {
    const type = this.headers.get('content-type') ?? '';
    const essence = type.split(';')[0]?.trim().toLowerCase();
    if (essence === 'multipart/form-data') {
      const boundary = headerParameter(type, 'boundary');
      if (boundary === null || boundary === '') {
        throw new TypeError('multipart/form-data body without a boundary parameter');
      }
      return decodeMultipart(await this.readAll(), boundary);
    }
    if (essence === 'application/x-www-form-urlencoded') return decodeUrlEncoded(await this.text());
    throw new TypeError(
      `formData() needs a multipart/form-data or application/x-www-form-urlencoded body, got "${type}"`,
    );
  }
}
