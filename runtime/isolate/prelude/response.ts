/** WHATWG Response; its body may be bytes or a ReadableStream. */
import { Body, extractBody, sourceAsInit, type BodyInit } from './body.ts';
import { Headers, type HeadersInit } from './headers.ts';

export interface ResponseInit {
  status?: number;
  statusText?: string;
  headers?: HeadersInit;
}

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
// A reason phrase is visible ASCII, obs-text, tab and space.
const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Lets Response.error() build the one response whose status is 0. */
const ERROR_RESPONSE = Symbol('error response');
/** Lets fetch() set the final URL and whether a redirect was followed. */
export const FETCHED = Symbol('fetched response');

interface FetchedInit extends ResponseInit {
  [FETCHED]?: { url: string; redirected: boolean };
}

export class Response extends Body {
  readonly #status: number;
  readonly #statusText: string;
  readonly #headers: Headers;
  readonly #type: 'default' | 'error' | 'basic';
  readonly #url: string;
  readonly #redirected: boolean;

  constructor(body?: BodyInit | null, init: ResponseInit = {}) {
    const extracted = extractBody(body);
    super(extracted.source);
    if ((init as { [ERROR_RESPONSE]?: true })[ERROR_RESPONSE] === true) {
      this.#status = 0;
      this.#type = 'error';
    } else {
      const status = init.status ?? 200;
      if (!Number.isInteger(status) || status < 200 || status > 599) {
        throw new RangeError(
          `Response status must be an integer from 200 to 599, got ${String(status)}`,
        );
      }
      if (extracted.source !== null && NULL_BODY_STATUSES.has(status)) {
        throw new TypeError(`Response with status ${status} cannot have a body`);
      }
      this.#status = status;
      this.#type = 'default';
    }
    const statusText = String(init.statusText ?? '');
    if (!REASON_PHRASE.test(statusText)) throw new TypeError('Invalid statusText');
    this.#statusText = statusText;
    this.#headers = new Headers(init.headers);
    const fetched = (init as FetchedInit)[FETCHED];
    this.#url = fetched?.url ?? '';
    this.#redirected = fetched?.redirected ?? false;
    if (fetched !== undefined) this.#type = 'basic';
    if (extracted.contentType !== null && !this.#headers.has('content-type')) {
      this.#headers.set('content-type', extracted.contentType);
    }
  }

  static json(data: unknown, init: ResponseInit = {}): Response {
    const text = JSON.stringify(data);
    if (text === undefined) throw new TypeError('Response.json: data is not JSON-serializable');
    const headers = new Headers(init.headers);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    return new Response(text, { ...init, headers });
  }

  static redirect(url: string | URL, status = 302): Response {
    if (!REDIRECT_STATUSES.has(status)) throw new RangeError(`Invalid redirect status: ${status}`);
    return new Response(null, { status, headers: { location: new URL(String(url)).href } });
  }

  static error(): Response {
    return new Response(null, { [ERROR_RESPONSE]: true } as ResponseInit);
  }

  get status(): number {
    return this.#status;
  }

  get statusText(): string {
    return this.#statusText;
  }

  get ok(): boolean {
    return this.#status >= 200 && this.#status <= 299;
  }

  get headers(): Headers {
    return this.#headers;
  }

  get type(): 'default' | 'error' | 'basic' {
    return this.#type;
  }

  get url(): string {
    return this.#url;
  }

  get redirected(): boolean {
    return this.#redirected;
  }

  clone(): Response {
    if (this.#type === 'error') return Response.error();
    const init: FetchedInit = {
      status: this.#status,
      statusText: this.#statusText,
      headers: this.#headers,
    };
    if (this.#type === 'basic') init[FETCHED] = { url: this.#url, redirected: this.#redirected };
    return new Response(sourceAsInit(this.cloneSource()), init);
  }

  get [Symbol.toStringTag](): string {
    return 'Response';
  }
}
