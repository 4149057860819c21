/**
 * WHATWG streams from web-streams-polyfill (the reference implementation, pure JS), plus the
 * TextEncoderStream and TextDecoderStream the polyfill leaves out.
 */
import { TransformStream } from 'web-streams-polyfill';
import { TextDecoder, TextEncoder } from './text-encoding.ts';

export {
  ByteLengthQueuingStrategy,
  CountQueuingStrategy,
  ReadableByteStreamController,
  ReadableStream,
  ReadableStreamBYOBReader,
  ReadableStreamBYOBRequest,
  ReadableStreamDefaultController,
  ReadableStreamDefaultReader,
  TransformStream,
  TransformStreamDefaultController,
  WritableStream,
  WritableStreamDefaultController,
  WritableStreamDefaultWriter,
} from 'web-streams-polyfill';

/** Strings in, UTF-8 bytes out. */
export class TextEncoderStream extends TransformStream<string, Uint8Array> {
  constructor() {
    const encoder = new TextEncoder();
    super({
      transform(chunk, controller) {
        const bytes = encoder.encode(String(chunk));
        if (bytes.byteLength > 0) controller.enqueue(bytes);
      },
    });
  }

  get encoding(): string {
    return 'utf-8';
  }
}

/** Bytes in, text out; a character split across chunks is decoded once it is complete. */
export class TextDecoderStream extends TransformStream<ArrayBuffer | ArrayBufferView, string> {
  readonly #decoder: TextDecoder;

  constructor(label = 'utf-8', options: { fatal?: boolean; ignoreBOM?: boolean } = {}) {
    const decoder = new TextDecoder(label, options);
    super({
      transform(chunk, controller) {
        const text = decoder.decode(chunk, { stream: true });
        if (text.length > 0) controller.enqueue(text);
      },
      flush(controller) {
        const text = decoder.decode();
        if (text.length > 0) controller.enqueue(text);
      },
    });
    this.#decoder = decoder;
  }

  get encoding(): string {
    return this.#decoder.encoding;
  }

  get fatal(): boolean {
    return this.#decoder.fatal;
  }

  get ignoreBOM(): boolean {
    return this.#decoder.ignoreBOM;
  }
}
