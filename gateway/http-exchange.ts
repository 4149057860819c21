/**
 * Translation between a Koa request/response and the plain HTTP data a function's `fetch`
 * handler gets and returns on the broker (core/messages.ts).
 */
import { validateHeaderName, validateHeaderValue } from 'node:http';
import { FjordError } from '../core/errors.ts';
import type { HttpRequestData, HttpResponseData } from '../core/messages.ts';
import type { GatewayContext } from './gateway-context.ts';

/** Headers about one connection hop (RFC 9110 §7.6.1): neither forwarded nor sent back. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * The request as the function sees it: the `/fn/NAME` prefix removed from the URL
 * (`/fn/shop/api/cart?x=1` becomes `/api/cart?x=1`, `/fn/shop` becomes `/`), headers as pairs in
 * their order without hop-by-hop ones, and without Authorization when the gateway consumed the
 * token itself (a private function's caller authenticates to Fjord, not to the function).
 */
export function toHttpRequestData(
  ctx: GatewayContext,
  prefix: string,
  body: Buffer,
  options: { dropAuthorization: boolean },
): HttpRequestData {
  const path = ctx.path.slice(prefix.length) || '/';
  const query = ctx.querystring === '' ? '' : `?${ctx.querystring}`;
  let url: string;
  try {
    url = new URL(`${ctx.protocol}://${ctx.host || 'localhost'}${path}${query}`).href;
  } catch {
    throw new FjordError('BAD_REQUEST', 'the request has an invalid Host header or URL');
  }
  const dropped = droppedRequestHeaders(ctx.get('Connection'), options.dropAuthorization);
  const headers: [string, string][] = [];
  const raw = ctx.req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase();
    if (!dropped.has(name)) headers.push([name, raw[i + 1] ?? '']);
  }
  const request: HttpRequestData = { method: ctx.method, url, headers };
  if (body.length > 0) request.body = body.toString('base64');
  return request;
}

function droppedRequestHeaders(connection: string, dropAuthorization: boolean): Set<string> {
  const dropped = new Set(HOP_BY_HOP);
  // Connection names further per-hop headers of this request (RFC 9110 §7.6.1).
  for (const name of connection.split(',')) {
    const trimmed = name.trim().toLowerCase();
    if (trimmed !== '') dropped.add(trimmed);
  }
  if (dropAuthorization) dropped.add('authorization');
  return dropped;
}

/**
 * Answers with the function's response: its status, its headers (repeated ones such as
 * Set-Cookie kept apart) and its body bytes unchanged. Everything is validated before anything
 * is set, so a bad response becomes a clean 502 BAD_FUNCTION_RESPONSE.
 */
export function writeHttpResponse(ctx: GatewayContext, response: HttpResponseData): void {
  const { status } = response;
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    throw new FjordError('BAD_FUNCTION_RESPONSE', `the function answered with status ${status}`);
  }
  const headers = groupResponseHeaders(response.headers, ctx.method === 'HEAD');
  const body = response.body === undefined ? Buffer.alloc(0) : Buffer.from(response.body, 'base64');
  ctx.status = status;
  // Koa sets Content-Type (to octet-stream) and Content-Length for a Buffer; the function's own
  // headers, set after, win, and a function that sent no Content-Type gets none invented.
  ctx.body = body;
  ctx.remove('Content-Type');
  for (const [name, values] of headers) {
    const [only, ...more] = values;
    ctx.set(name, only !== undefined && more.length === 0 ? only : values);
  }
}

function groupResponseHeaders(
  pairs: readonly [string, string][],
  isHead: boolean,
): Map<string, string[]> {
  const grouped = new Map<string, string[]>();
  for (const [rawName, value] of pairs) {
    const name = rawName.toLowerCase();
    if (HOP_BY_HOP.has(name) || name === 'x-call-id') continue;
    // The body is sent as received, so its length is known; only a HEAD answer keeps the
    // function's Content-Length, describing the body a GET would get.
    if (name === 'content-length' && !isHead) continue;
    try {
      validateHeaderName(name);
      validateHeaderValue(name, value);
    } catch {
      throw new FjordError(
        'BAD_FUNCTION_RESPONSE',
        `the function answered with an invalid header "${name.slice(0, 100)}"`,
      );
    }
    const values = grouped.get(name);
    if (values === undefined) grouped.set(name, [value]);
    else values.push(value);
  }
  return grouped;
}
