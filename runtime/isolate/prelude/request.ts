/** WHATWG Request. Relative URLs are rejected: there is no base URL. */
import { AbortController, AbortSignal } from './abort.ts';
import { Body, extractBody, sourceAsInit, type BodyInit, type BodySource } from './body.ts';
import { Headers, type HeadersInit } from './headers.ts';

export type RequestRedirect = 'follow' | 'error' | 'manual';

export interface RequestInit {
  method?: string;
  headers?: HeadersInit;
  body?: BodyInit | null;
  redirect?: RequestRedirect;
  signal?: AbortSignal | null;
  /** Required by the standard for stream bodies; only `half` exists. */
  duplex?: 'half';
}

const NORMALIZED_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);
const REDIRECTS = new Set(['follow', 'error', 'manual']);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function normalizeMethod(method: string): string {
  const text = String(method);
  if (!TOKEN.test(text)) throw new TypeError(`Invalid method: "${text}"`);
  const upper = text.toUpperCase();
  if (FORBIDDEN_METHODS.has(upper)) throw new TypeError(`Forbidden method: "${text}"`);
  // The standard upper-cases only the well-known methods; "patch" stays as written.
  return NORMALIZED_METHODS.has(upper) ? upper : text;
}

/**
 * Marks an init whose URL string is already a parsed URL's href (the invocation's request, from
 * the host): the constructor skips parsing it again. Only the prelude holds the symbol.
 */
export const PARSED_URL = Symbol('parsed url');

/** A signal that never aborts, for requests built without one. */
function quietSignal(): AbortSignal {
  return new AbortController().signal;
}

export class Request extends Body {
  readonly #method: string;
  readonly #url: string;
  readonly #headers: Headers;
  readonly #redirect: RequestRedirect;
  readonly #signal: AbortSignal;

  constructor(input: string | URL | Request, init: RequestInit = {}) {
    const from = input instanceof Request ? input : null;
    const method = normalizeMethod(init.method ?? from?.method ?? 'GET');
    const url =
      input instanceof Request
        ? input.url
        : typeof input === 'string' && (init as { [PARSED_URL]?: true })[PARSED_URL] === true
          ? input
          : new URL(typeof input === 'string' ? input : input.href).href;
    const redirect = init.redirect ?? from?.redirect ?? 'follow';
    if (!REDIRECTS.has(redirect))
      throw new TypeError(`Invalid redirect mode: "${String(redirect)}"`);
    const signal = init.signal ?? from?.signal ?? null;
    if (signal !== null && !(signal instanceof AbortSignal)) {
      throw new TypeError('Request signal must be an AbortSignal');
    }
    const headers = new Headers(init.headers ?? from?.headers);
    let extracted = extractBody(init.body);
    if (extracted.source !== null && (method === 'GET' || method === 'HEAD')) {
      throw new TypeError('Request with GET/HEAD method cannot have body');
    }
    let source: BodySource | null = extracted.source;
    if (init.body === undefined && from !== null) {
      source = from.takeSource();
      if (source !== null && (method === 'GET' || method === 'HEAD')) {
        throw new TypeError('Request with GET/HEAD method cannot have body');
      }
      extracted = { source, contentType: null };
    }
    super(source);
    this.#method = method;
    this.#url = url;
    this.#headers = headers;
    if (extracted.contentType !== null && !this.#headers.has('content-type')) {
      this.#headers.set('content-type', extracted.contentType);
    }
    this.#redirect = redirect;
    this.#signal = signal ?? quietSignal();
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

  get redirect(): RequestRedirect {
    return this.#redirect;
  }

  get signal(): AbortSignal {
    return this.#signal;
  }

  get keepalive(): boolean {
    return false;
  }

  clone(): Request {
    return new Request(this.#url, {
      method: this.#method,
      headers: this.#headers,
      body: sourceAsInit(this.cloneSource()),
      redirect: this.#redirect,
      signal: this.#signal,
    });
  }

  get [Symbol.toStringTag](): string {
    return 'Request';
  }
}
