/**
 * One HTTP request of a function's fetch, sent with node:http/https and connected only to the
 * addresses checked for it (egress-addresses.ts): the socket's `lookup` answers with those
 * instead of asking DNS again. TLS still verifies the certificate for the host name. Redirects
 * are not followed here (host-fetch.ts checks each hop); gzip, deflate and br bodies are
 * decoded, as fetch does.
 *
 * Each transport has its own keep-alive agents and belongs to one isolate, so a connection
 * opened under one function's egress policy is never reused under another's.
 */
import type { LookupAddress } from 'node:dns';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { Readable, type Transform } from 'node:stream';
import { constants, createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

export interface EgressRequest {
  url: URL;
  method: string;
  headers: readonly (readonly [string, string])[];
  body: Uint8Array | null;
  signal: AbortSignal;
  /** The only addresses the connection may go to. */
  addresses: readonly LookupAddress[];
}

/** Statuses whose responses never have a body (and a Response refuses one for). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/** Lenient like fetch: a body cut short yields what arrived rather than an error. */
const FLUSH = { flush: constants.Z_SYNC_FLUSH, finishFlush: constants.Z_SYNC_FLUSH };
const DECODERS: Readonly<Record<string, () => Transform>> = {
  gzip: () => createGunzip(FLUSH),
  'x-gzip': () => createGunzip(FLUSH),
  deflate: () => createInflate(FLUSH),
  br: () => createBrotliDecompress(),
};

/** A `lookup` that answers for `hostname` with the checked addresses only. */
function pinnedLookup(hostname: string, addresses: readonly LookupAddress[]): LookupFunction {
  return (name, options, callback) => {
    const usable = addresses.filter((a) => !options.family || a.family === options.family);
    const [first] = usable;
    if (name !== hostname || first === undefined) {
      const error = Object.assign(new Error(`no checked address for ${name}`), {
        code: 'ENOTFOUND',
      });
      callback(error, '', 0);
    } else if (options.all === true) callback(null, usable.slice());
    else callback(null, first.address, first.family);
  };
}

/** The body as the server meant it: content codings undone, outermost first. */
function decoded(response: IncomingMessage, encoding: string | null): Readable {
  if (encoding === null) return response;
  const codings = encoding
    .toLowerCase()
    .split(',')
    .map((coding) => coding.trim())
    .filter((coding) => coding !== '' && coding !== 'identity');
  const decoders = codings.reverse().map((coding) => DECODERS[coding]?.());
  if (decoders.some((decoder) => decoder === undefined)) return response;
  let stream: Readable = response;
  for (const decoder of decoders as Transform[]) {
    stream.on('error', (error) => decoder.destroy(error));
    stream = stream.pipe(decoder);
  }
  return stream;
}

function toResponse(response: IncomingMessage, method: string): Response {
  const headers = new Headers();
  const raw = response.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i] ?? '', raw[i + 1] ?? '');
  const status = response.statusCode ?? 0;
  if (method === 'HEAD' || NULL_BODY.has(status)) {
    response.resume();
    return new Response(null, { status, statusText: response.statusMessage ?? '', headers });
  }
  const body = Readable.toWeb(decoded(response, headers.get('content-encoding')));
  return new Response(body as ReadableStream<Uint8Array>, {
    status,
    statusText: response.statusMessage ?? '',
    headers,
  });
}

export class EgressTransport {
  readonly #http = new HttpAgent({ keepAlive: true });
  readonly #https = new HttpsAgent({ keepAlive: true });

  /** Sends one request; resolves with its response once the headers are in. */
  send(request: EgressRequest): Promise<Response> {
    const { url } = request;
    const secure = url.protocol === 'https:';
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    // An array of headers (it may repeat a name) gets no Host from Node: it goes first here.
    const headers = [
      'host',
      url.host,
      ...request.headers.flatMap(([name, value]) => [name, value]),
    ];
    const names = new Set(request.headers.map(([name]) => name.toLowerCase()));
    // What fetch sends unless told otherwise (the decoders above cover these codings).
    if (!names.has('accept')) headers.push('accept', '*/*');
    if (!names.has('accept-encoding')) headers.push('accept-encoding', 'gzip, deflate, br');
    const options = {
      hostname,
      port: url.port === '' ? undefined : Number(url.port),
      path: `${url.pathname}${url.search}`,
      method: request.method,
      headers,
      lookup: pinnedLookup(hostname, request.addresses),
      signal: request.signal,
    };
    return new Promise<Response>((resolve, reject) => {
      const onResponse = (response: IncomingMessage): void => {
        try {
          resolve(toResponse(response, request.method));
        } catch (error) {
          // A status or header no Response can carry: the server's answer is not HTTP we take.
          response.destroy();
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      };
      const outgoing = secure
        ? httpsRequest(
            {
              ...options,
              agent: this.#https,
              ...(isIP(hostname) === 0 ? { servername: hostname } : {}),
            },
            onResponse,
          )
        : httpRequest({ ...options, agent: this.#http }, onResponse);
      outgoing.on('error', reject);
      outgoing.end(request.body ?? undefined);
    });
  }

  /** Closes every connection, idle or not. */
  close(): void {
    this.#http.destroy();
    this.#https.destroy();
  }
}
