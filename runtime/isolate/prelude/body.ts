/**
 * The body mixin shared by Request and Response. Bodies are buffered bytes today; a body's bytes
 * live behind {@link BodySource} so a ReadableStream source can join the union when streaming
 * bodies land, without touching the methods that read them.
 */

export type BodyInit = string | ArrayBuffer | ArrayBufferView | URLSearchParams | BodyStream;

/** Where a body's bytes come from. */
type BodySource = { kind: 'bytes'; bytes: Uint8Array };

const encoder = (): InstanceType<typeof TextEncoder> => new TextEncoder();

/**
 * What `request.body` / `response.body` return: a one-chunk, read-once stream over the buffered
 * bytes. Enough for `new Response(other.body, other)` and `for await (const chunk of body)`;
 * constructing streams from user code waits for real ReadableStream support.
 */
export class BodyStream {
  #owner: Body;
  #done = false;
  locked = false;

  constructor(owner: Body) {
    this.#owner = owner;
  }

  /** Hands the bytes over once; used when the stream becomes another body. */
  take(): Uint8Array {
    if (this.locked || this.#done) throw new TypeError('ReadableStream is locked or disturbed');
    this.#done = true;
    return this.#owner.takeBytes();
  }

  getReader(): {
    read(): Promise<{ done: boolean; value?: Uint8Array }>;
    releaseLock(): void;
    cancel(): Promise<void>;
  } {
    if (this.locked) throw new TypeError('ReadableStream is locked');
    this.locked = true;
    return {
      read: async () => {
        if (this.#done) return { done: true };
        this.#done = true;
        const bytes = this.#owner.takeBytes();
        return bytes.byteLength === 0 ? { done: true } : { done: false, value: bytes };
      },
      releaseLock: () => {
        this.locked = false;
      },
      cancel: async () => {
        this.#done = true;
      },
    };
  }

  async *[Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> {
    const reader = this.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done || value === undefined) return;
      yield value;
    }
  }

  get [Symbol.toStringTag](): string {
    return 'ReadableStream';
  }
}

function copyBytes(view: ArrayBufferView | ArrayBuffer): Uint8Array {
  if (view instanceof ArrayBuffer) return new Uint8Array(view.slice(0));
  return new Uint8Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
}

/** Turns a BodyInit into bytes and the Content-Type it implies, as the Fetch standard's "extract". */
export function extractBody(init: BodyInit | null | undefined): {
  source: BodySource | null;
  contentType: string | null;
} {
  if (init === null || init === undefined) return { source: null, contentType: null };
  if (typeof init === 'string') {
    return {
      source: { kind: 'bytes', bytes: encoder().encode(init) },
      contentType: 'text/plain;charset=UTF-8',
    };
  }
  if (init instanceof BodyStream)
    return { source: { kind: 'bytes', bytes: init.take() }, contentType: null };
  if (init instanceof ArrayBuffer || ArrayBuffer.isView(init)) {
    return { source: { kind: 'bytes', bytes: copyBytes(init) }, contentType: null };
  }
  if (init instanceof URLSearchParams) {
    return {
      source: { kind: 'bytes', bytes: encoder().encode(init.toString()) },
      contentType: 'application/x-www-form-urlencoded;charset=UTF-8',
    };
  }
  if (typeof (init as { getReader?: unknown }).getReader === 'function') {
    throw new TypeError('ReadableStream bodies are not supported yet: pass a string or bytes');
  }
  return extractBody(String(init));
}

/** Request and Response inherit their body readers from here. */
export class Body {
  #source: BodySource | null;
  #used = false;
  #stream: BodyStream | null = null;

  constructor(source: BodySource | null) {
    this.#source = source;
  }

  get body(): BodyStream | null {
    if (this.#source === null) return null;
    this.#stream ??= new BodyStream(this);
    return this.#stream;
  }

  get bodyUsed(): boolean {
    return this.#used;
  }

  /** Consumes the body: later reads fail, as a disturbed stream does. */
  takeBytes(): Uint8Array {
    if (this.#used) throw new TypeError('Body has already been used');
    this.#used = true;
    const bytes = this.#source === null ? new Uint8Array(0) : this.#source.bytes;
    return bytes;
  }

  /** The bytes without consuming them, for the host to send the response out. */
  peekBytes(): Uint8Array | null {
    if (this.#used) throw new TypeError('Body has already been used');
    return this.#source === null ? null : this.#source.bytes;
  }

  /** A second, independent body for clone(). */
  cloneSource(): BodySource | null {
    if (this.#used || this.#stream?.locked === true)
      throw new TypeError('Body has already been used');
    return this.#source === null ? null : { kind: 'bytes', bytes: this.#source.bytes.slice() };
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = this.takeBytes();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  async bytes(): Promise<Uint8Array> {
    return this.takeBytes().slice();
  }

  async text(): Promise<string> {
    return new TextDecoder().decode(this.takeBytes());
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text()) as unknown;
  }
}
