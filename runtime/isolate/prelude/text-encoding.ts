/**
 * TextEncoder and TextDecoder for UTF-8, following the Encoding standard: lone surrogates and
 * malformed bytes become U+FFFD (or throw with `fatal`), a BOM is skipped unless `ignoreBOM`,
 * and `decode(chunk, { stream: true })` keeps a character split across chunks for the next call.
 */

const LABELS = new Set(['utf-8', 'utf8', 'unicode-1-1-utf-8', 'unicode11utf8', 'unicode20utf8']);
const REPLACEMENT = 0xfffd;
/** String.fromCharCode.apply takes this many code units at once without overflowing the stack. */
const CHUNK = 8192;

function encodedLength(input: string): number {
  let length = 0;
  for (let i = 0; i < input.length; i++) {
    const unit = input.charCodeAt(i);
    if (unit < 0x80) length += 1;
    else if (unit < 0x800) length += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && (input.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      length += 4;
      i++;
    } else length += 3;
  }
  return length;
}

/** Writes `input` as UTF-8 into `out` until it is full; returns units read and bytes written. */
function encodeUtf8(input: string, out: Uint8Array): { read: number; written: number } {
  let at = 0;
  let i = 0;
  for (; i < input.length; i++) {
    let point = input.charCodeAt(i);
    let units = 1;
    if (point >= 0xd800 && point <= 0xdfff) {
      const next = input.charCodeAt(i + 1);
      if (point <= 0xdbff && (next & 0xfc00) === 0xdc00) {
        point = 0x10000 + ((point - 0xd800) << 10) + (next - 0xdc00);
        units = 2;
      } else point = REPLACEMENT;
    }
    const size = point < 0x80 ? 1 : point < 0x800 ? 2 : point < 0x10000 ? 3 : 4;
    if (at + size > out.length) break;
    if (size === 1) out[at++] = point;
    else if (size === 2) {
      out[at++] = 0xc0 | (point >> 6);
      out[at++] = 0x80 | (point & 0x3f);
    } else if (size === 3) {
      out[at++] = 0xe0 | (point >> 12);
      out[at++] = 0x80 | ((point >> 6) & 0x3f);
      out[at++] = 0x80 | (point & 0x3f);
    } else {
      out[at++] = 0xf0 | (point >> 18);
      out[at++] = 0x80 | ((point >> 12) & 0x3f);
      out[at++] = 0x80 | ((point >> 6) & 0x3f);
      out[at++] = 0x80 | (point & 0x3f);
    }
    i += units - 1;
  }
  return { read: i, written: at };
}

export class TextEncoder {
  get encoding(): string {
    return 'utf-8';
  }

  encode(input = ''): Uint8Array {
    const text = String(input);
    const out = new Uint8Array(encodedLength(text));
    encodeUtf8(text, out);
    return out;
  }

  encodeInto(source: string, destination: Uint8Array): { read: number; written: number } {
    if (!(destination instanceof Uint8Array))
      throw new TypeError('destination must be a Uint8Array');
    return encodeUtf8(String(source), destination);
  }

  get [Symbol.toStringTag](): string {
    return 'TextEncoder';
  }
}

function toBytes(input: unknown): Uint8Array {
  if (input === undefined) return new Uint8Array(0);
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input))
    return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  throw new TypeError('TextDecoder.decode: input must be an ArrayBuffer or a view of one');
}

export class TextDecoder {
  readonly #fatal: boolean;
  readonly #ignoreBOM: boolean;
  // Decoder state between streamed chunks (the Encoding standard's UTF-8 decoder).
  #needed = 0;
  #seen = 0;
  #point = 0;
  #lower = 0x80;
  #upper = 0xbf;
  #bomChecked = false;

  constructor(label = 'utf-8', options: { fatal?: boolean; ignoreBOM?: boolean } = {}) {
    if (!LABELS.has(String(label).trim().toLowerCase())) {
      throw new RangeError(
        `TextDecoder: encoding "${String(label)}" is not supported (only utf-8)`,
      );
    }
    this.#fatal = Boolean(options.fatal);
    this.#ignoreBOM = Boolean(options.ignoreBOM);
  }

  get encoding(): string {
    return 'utf-8';
  }

  get fatal(): boolean {
    return this.#fatal;
  }

  get ignoreBOM(): boolean {
    return this.#ignoreBOM;
  }

  decode(input?: ArrayBuffer | ArrayBufferView, options: { stream?: boolean } = {}): string {
    const bytes = toBytes(input);
    const units: number[] = [];
    const parts: string[] = [];
    const emit = (point: number): void => {
      if (!this.#bomChecked) {
        this.#bomChecked = true;
        if (point === 0xfeff && !this.#ignoreBOM) return;
      }
      if (point > 0xffff) {
        point -= 0x10000;
        units.push(0xd800 + (point >> 10), 0xdc00 + (point & 0x3ff));
      } else units.push(point);
      if (units.length >= CHUNK) parts.push(String.fromCharCode(...units.splice(0)));
    };
    const malformed = (): void => {
      this.#needed = 0;
      this.#seen = 0;
      this.#point = 0;
      this.#lower = 0x80;
      this.#upper = 0xbf;
      if (this.#fatal) {
        this.#bomChecked = false;
        throw new TypeError('TextDecoder: the encoded data was not valid UTF-8');
      }
      emit(REPLACEMENT);
    };
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i]!;
      if (this.#needed === 0) {
        if (byte < 0x80) {
          // Fast path: a run of ASCII becomes a string in one call.
          let end = i + 1;
          while (end < bytes.length && end - i < CHUNK && bytes[end]! < 0x80) end++;
          this.#bomChecked = true;
          if (units.length > 0) parts.push(String.fromCharCode(...units.splice(0)));
          parts.push(String.fromCharCode(...bytes.subarray(i, end)));
          i = end - 1;
        } else if (byte >= 0xc2 && byte <= 0xdf) {
          this.#needed = 1;
          this.#point = byte & 0x1f;
        } else if (byte >= 0xe0 && byte <= 0xef) {
          if (byte === 0xe0) this.#lower = 0xa0;
          if (byte === 0xed) this.#upper = 0x9f;
          this.#needed = 2;
          this.#point = byte & 0x0f;
        } else if (byte >= 0xf0 && byte <= 0xf4) {
          if (byte === 0xf0) this.#lower = 0x90;
          if (byte === 0xf4) this.#upper = 0x8f;
          this.#needed = 3;
          this.#point = byte & 0x07;
        } else malformed();
        continue;
      }
      if (byte < this.#lower || byte > this.#upper) {
        malformed();
        i--; // The byte that broke the sequence starts the next one.
        continue;
      }
      this.#lower = 0x80;
      this.#upper = 0xbf;
      this.#point = (this.#point << 6) | (byte & 0x3f);
      if (++this.#seen === this.#needed) {
        const point = this.#point;
        this.#needed = 0;
        this.#seen = 0;
        this.#point = 0;
        emit(point);
      }
    }
    if (options.stream !== true) {
      if (this.#needed !== 0) malformed();
      this.#bomChecked = false;
    }
    parts.push(String.fromCharCode(...units));
    return parts.join('');
  }

  get [Symbol.toStringTag](): string {
    return 'TextDecoder';
  }
}
