import type { ErrorBody } from '../core/api.ts';
import { CliError } from './errors.ts';
import { hintFor } from './hints.ts';

/** A non-2xx answer of the gateway, with its {@link ErrorBody} fields when it sent one. */
export class ApiError extends CliError {
  readonly status: number;
  readonly callId: string | undefined;

  constructor(status: number, code: string, message: string, callId?: string) {
    super(message, { code, hint: hintFor(code, status) });
    this.name = 'ApiError';
    this.status = status;
    this.callId = callId;
  }
}

export interface ClientOptions {
  /** Base URL, e.g. http://127.0.0.1:8080. */
  gateway: string;
  token?: string;
  /** Cancels requests in flight (Ctrl-C). */
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

/** How {@link GatewayTransport.send} sends a body and treats an error status. */
export interface SendOptions {
  /** Answer a non-2xx response instead of throwing its ApiError. */
  tolerateErrors?: boolean;
  /** With a content type, the body is sent as it is (a string or bytes); else as JSON. */
  contentType?: string;
  headers?: Record<string, string>;
}

/**
 * HTTP to the control API: the bearer token, JSON bodies, and every failure as a CliError (an
 * ApiError for an error answer, GATEWAY_UNREACHABLE when no answer came).
 */
export class GatewayTransport {
  readonly gateway: string;
  readonly #token: string | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #fetch: typeof fetch;

  constructor(options: ClientOptions) {
    this.gateway = options.gateway.replace(/\/+$/, '');
    this.#token = options.token;
    this.#signal = options.signal;
    this.#fetch = options.fetch ?? fetch;
  }

  /** Sends `body` as JSON (when given) and answers the response's JSON. */
  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.send(method, path, body);
    return (await response.json()) as T;
  }

  async send(
    method: string,
    path: string,
    body?: unknown,
    { tolerateErrors = false, contentType, headers: extra = {} }: SendOptions = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...extra, accept: 'application/json' };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    if (body !== undefined) headers['content-type'] = contentType ?? 'application/json';
    let response: Response;
    try {
      response = await this.#fetch(`${this.gateway}${path}`, {
        method,
        headers,
        body:
          body === undefined
            ? undefined
            : contentType === undefined
              ? JSON.stringify(body)
              : (body as string | Uint8Array<ArrayBuffer>),
        signal: this.#signal,
      });
    } catch (error) {
      if (this.#signal?.aborted) throw error;
      throw unreachable(this.gateway, error);
    }
    if (!response.ok && !tolerateErrors) {
      throw apiError(response, await response.text().catch(() => ''));
    }
    return response;
  }
}

/** A path segment (a function name, an id) as the URL needs it. */
export function enc(segment: string): string {
  return encodeURIComponent(segment);
}

export function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The ApiError of an error answer whose body was `text`. */
export function apiError(response: Response, text: string): ApiError {
  const error = (parseOrUndefined(text) as Partial<ErrorBody> | undefined)?.error;
  if (typeof error?.code === 'string' && typeof error.message === 'string') {
    return new ApiError(response.status, error.code, error.message, error.callId);
  }
  // Not an ErrorBody (a proxy's HTML page, say): report the status and the start of the body.
  const detail = text.trim().slice(0, 200) || response.statusText;
  return new ApiError(response.status, `HTTP_${response.status}`, detail);
}

/** fetch() rejects with "fetch failed" and the socket error as its cause. */
function unreachable(gateway: string, error: unknown): CliError {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  const reason = code ?? (typeof cause?.message === 'string' ? cause.message : String(error));
  return new CliError(`cannot reach the gateway at ${gateway}: ${reason}`, {
    code: 'GATEWAY_UNREACHABLE',
    hint: 'is the gateway running? start it with `fn up`, or point --gateway / FN_GATEWAY at it',
  });
}
