/** WHATWG Request over buffered bodies. Relative URLs are rejected: there is no base URL. */
import { Body, extractBody, type BodyInit } from './body.ts';
import { Headers, type HeadersInit } from './headers.ts';

export interface RequestInit {
  method?: string;
  headers?: HeadersInit;
  body?: BodyInit | null;
  redirect?: 'follow' | 'error' | 'manual';
}

const NORMALIZED_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function normalizeMethod(method: string): string {
  const text = String(method);
  if (!TOKEN.test(text)) throw new TypeError(`Invalid method: "${text}"`);
  const upper = text.toUpperCase();
  if (FORBIDDEN_METHODS.has(upper)) throw new TypeError(`Forbidden method: "${text}"`);
  // The standard upper-cases only the well-known methods; "patch" stays as written.
  return NORMALIZED_METHODS.has(upper) ? upper : text;
}

export class Request extends Body {
  readonly #method: string;
  readonly #url: string;
  readonly #headers: Headers;
  readonly #redirect: 'follow' | 'error' | 'manual';

  constructor(input: string | URL | Request, init: RequestInit = {}) {
    const from = input instanceof Request ? input : null;
    const method = normalizeMethod(init.method ?? from?.method ?? 'GET');
    let extracted = extractBody(init.body);
    if (init.body === undefined && from !== null && from.body !== null) {
      extracted = { source: { kind: 'bytes', bytes: from.takeBytes() }, contentType: null };
    }
    if (extracted.source !== null && (method === 'GET' || method === 'HEAD')) {
      throw new TypeError('Request with GET/HEAD method cannot have body');
    }
    super(extracted.source);
    this.#method = method;
    this.#url =
      input instanceof Request
        ? input.url
        : new URL(typeof input === 'string' ? input : input.href).href;
    this.#headers = new Headers(init.headers ?? from?.headers);
    if (extracted.contentType !== null && !this.#headers.has('content-type')) {
      this.#headers.set('content-type', extracted.contentType);
    }
    this.#redirect = init.redirect ?? from?.redirect ?? 'follow';
  }

  get method(): string {
    return this.#method;
  }

  get url(): string {
    return this.#url;
  }

  get headers(): Headers {
    return this.#headers;
  }

  get redirect(): 'follow' | 'error' | 'manual' {
    return this.#redirect;
  }

  clone(): Request {
    const source = this.cloneSource();
    return new Request(this.#url, {
      method: this.#method,
      headers: this.#headers,
      body: source === null ? null : source.bytes,
      redirect: this.#redirect,
    });
  }

  get [Symbol.toStringTag](): string {
    return 'Request';
  }
}
