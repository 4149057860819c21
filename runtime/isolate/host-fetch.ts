/**
 * `fetch` from a function, performed by the host: every hop (the first request and each
 * redirect it follows) is checked against the function's egress policy, resolved and checked
 * for non-public addresses (egress-addresses.ts), connected to the addresses checked, and
 * counted against the invocation's request budget; response bodies are read whole, up to a size
 * limit, before they go back into the isolate.
 */
import type { CallScope } from './host-calls.ts';
import { HostCallError } from './host-calls.ts';
import { hopAddresses, systemLookup, type EgressLookup } from './egress-addresses.ts';
import type { EgressPolicy } from './egress-policy.ts';
import { EgressTransport } from './egress-transport.ts';
import type { WireFetchRequest, WireFetchResponse } from './protocol.ts';

export interface FetchLimits {
  /** Outgoing requests per invocation, redirect hops included. */
  maxRequests: number;
  /** Largest response body one request may return. */
  maxResponseBytes: number;
  /** Redirects one fetch follows before it fails, as browsers do (20). */
  maxRedirects: number;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Response headers about the connection to the server, meaningless to the function. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
]);
/** Headers of one connection, or computed by the HTTP client: never taken from the function. */
const HOST_OWNED = new Set([
  'connection',
  'content-length',
  'expect',
  'host',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function isHeaderList(value: unknown): value is [string, string][] {
  return (
    Array.isArray(value) &&
    value.every(
      (p) =>
        Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && typeof p[1] === 'string',
    )
  );
}

function parseRequest(input: unknown): WireFetchRequest {
  const request = input as Partial<WireFetchRequest> | null;
  if (
    typeof request?.url !== 'string' ||
    typeof request.method !== 'string' ||
    !isHeaderList(request.headers) ||
    !(request.body === null || request.body instanceof Uint8Array) ||
    !['follow', 'error', 'manual'].includes(String(request.redirect))
  ) {
    throw new HostCallError('TypeError', 'malformed fetch request');
  }
  return request as WireFetchRequest;
}

function describeCause(error: unknown): string {
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (cause instanceof Error) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

export class HostFetch {
  readonly #policy: EgressPolicy;
  readonly #limits: FetchLimits;
  readonly #lookup: EgressLookup;
  readonly #transport = new EgressTransport();

  /** `lookup` resolves host names (the node's resolver by default). */
  constructor(policy: EgressPolicy, limits: FetchLimits, lookup: EgressLookup = systemLookup) {
    this.#policy = policy;
    this.#limits = limits;
    this.#lookup = lookup;
  }

  /** Closes the connections kept alive for this function's fetches. */
  close(): void {
    this.#transport.close();
  }

  async run(input: unknown, scope: CallScope, signal: AbortSignal): Promise<WireFetchResponse> {
    const request = parseRequest(input);
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      throw new HostCallError('TypeError', `invalid URL: ${request.url}`);
    }
    let { method, body } = request;
    let headers = request.headers.filter(([name]) => !HOST_OWNED.has(name.toLowerCase()));
    for (let hop = 0; ; hop++) {
      const decision = this.#policy.check(url);
      if (!decision.allowed) throw new HostCallError('TypeError', decision.reason, 'EGRESS_DENIED');
      const addresses = await hopAddresses(url, decision.trusted, this.#lookup);
      if (signal.aborted) throw new HostCallError('AbortError', 'the request was aborted');
      scope.fetches += 1;
      if (scope.fetches > this.#limits.maxRequests) {
        throw new HostCallError(
          'TypeError',
          `fetch to ${url.host} denied: an invocation may make at most ${this.#limits.maxRequests} requests`,
          'FETCH_LIMIT_EXCEEDED',
        );
      }
      let response: Response;
      try {
        response = await this.#transport.send({ url, method, headers, body, signal, addresses });
      } catch (error) {
        if (signal.aborted) throw new HostCallError('AbortError', 'the request was aborted');
        throw new HostCallError(
          'TypeError',
          `fetch to ${url.host} failed: ${describeCause(error)}`,
        );
      }
      const location = response.headers.get('location');
      if (
        !REDIRECT_STATUSES.has(response.status) ||
        location === null ||
        request.redirect === 'manual'
      ) {
        return this.#answer(response, url, hop > 0, signal);
      }
      await response.body?.cancel().catch(() => {});
      if (request.redirect === 'error') {
        throw new HostCallError(
          'TypeError',
          `${url.href} redirected while the request's redirect mode is "error"`,
        );
      }
      if (hop >= this.#limits.maxRedirects) {
        throw new HostCallError(
          'TypeError',
          `too many redirects (more than ${this.#limits.maxRedirects})`,
        );
      }
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw new HostCallError('TypeError', `invalid redirect location: ${location}`);
      }
      const status = response.status;
      if (
        (status === 303 && method !== 'GET' && method !== 'HEAD') ||
        ((status === 301 || status === 302) && method === 'POST')
      ) {
        method = 'GET';
        body = null;
        headers = headers.filter(([name]) => !/^content-/i.test(name));
      }
      if (next.origin !== url.origin) {
        // Credentials meant for one origin are not sent to another, as the Fetch standard says.
        headers = headers.filter(([name]) => !/^(authorization|cookie)$/i.test(name));
      }
      url = next;
    }
  }

  async #answer(
    response: Response,
    url: URL,
    redirected: boolean,
    signal: AbortSignal,
  ): Promise<WireFetchResponse> {
    // The HTTP client decoded gzip/br/deflate: the body no longer matches these headers.
    const decoded = response.headers.has('content-encoding');
    const kept = [...response.headers].filter(
      ([name]) =>
        !HOP_BY_HOP.has(name) &&
        !(decoded && (name === 'content-encoding' || name === 'content-length')),
    );
    return {
      status: response.status,
      statusText: response.statusText,
      headers: kept,
      body: await this.#readBody(response, url, signal),
      url: url.href,
      redirected,
    };
  }

  async #readBody(response: Response, url: URL, signal: AbortSignal): Promise<Uint8Array | null> {
    if (response.body === null) return null;
    const limit = this.#limits.maxResponseBytes;
    const tooLarge = (): HostCallError =>
      new HostCallError(
        'TypeError',
        `the response from ${url.host} is larger than the limit of ${limit} bytes`,
        'FETCH_LIMIT_EXCEEDED',
      );
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (declared > limit) {
      await response.body.cancel().catch(() => {});
      throw tooLarge();
    }
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const chunks: Uint8Array[] = [];
    let total = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength;
        if (total > limit) {
          await reader.cancel().catch(() => {});
          throw tooLarge();
        }
        chunks.push(value);
      }
    } catch (error) {
      if (error instanceof HostCallError) throw error;
      if (signal.aborted) throw new HostCallError('AbortError', 'the request was aborted');
      throw new HostCallError(
        'TypeError',
        `reading the response from ${url.host} failed: ${describeCause(error)}`,
      );
    }
    const body = new Uint8Array(total);
    let at = 0;
    for (const chunk of chunks) {
      body.set(chunk, at);
      at += chunk.byteLength;
    }
    return body;
  }
}
