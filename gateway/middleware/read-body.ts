import getRawBody from 'raw-body';
import { FjordError } from '../../core/errors.ts';
import type { GatewayContext } from '../gateway-context.ts';

const EMPTY = Buffer.alloc(0);

/**
 * Reads the whole request body, at most `limit` bytes. A declared Content-Length over the limit
 * is refused before a byte is read; a chunked body is cut off as soon as it passes the limit.
 */
export async function readBody(ctx: GatewayContext, limit: number): Promise<Buffer> {
  // Node's parser already rejected a malformed Content-Length; absent means chunked or empty.
  const declared = ctx.get('Content-Length');
  const length = declared === '' ? undefined : Number.parseInt(declared, 10);
  if (length !== undefined && length > limit) throw tooLarge(limit);
  // Neither Content-Length nor Transfer-Encoding: the request has no body (RFC 9112 §6.3), and
  // most GETs are such; waiting for the stream's end would cost a turn of the event loop.
  if (length === 0 || (length === undefined && ctx.get('Transfer-Encoding') === '')) return EMPTY;
  try {
    return await getRawBody(ctx.req, { length, limit });
  } catch (error) {
    const type = (error as { type?: string }).type;
    if (type === 'entity.too.large') throw tooLarge(limit);
    if (type === 'request.aborted') throw new FjordError('BAD_REQUEST', 'request body aborted');
    if (type === 'request.size.invalid') {
      throw new FjordError('BAD_REQUEST', 'request body does not match its Content-Length');
    }
    throw error;
  }
}

/**
 * Reads a JSON body; `undefined` when the body is empty. 415 for a body declared as anything but
 * JSON (an absent Content-Type is taken as JSON, as curl and fetch users expect), or compressed;
 * 400 INVALID_JSON when it does not parse.
 */
export async function readJson(ctx: GatewayContext, limit: number): Promise<unknown> {
  const type = ctx.request.type;
  if (type !== '' && type !== 'application/json' && !type.endsWith('+json')) {
    throw new FjordError(
      'UNSUPPORTED_MEDIA_TYPE',
      `expected Content-Type application/json, got "${type.slice(0, 100)}"`,
    );
  }
  const encoding = ctx.get('Content-Encoding');
  if (encoding !== '' && encoding.toLowerCase() !== 'identity') {
    throw new FjordError('UNSUPPORTED_MEDIA_TYPE', 'compressed request bodies are not accepted');
  }
  const raw = await readBody(ctx, limit);
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch (error) {
    throw new FjordError(
      'INVALID_JSON',
      `request body is not valid JSON: ${(error as Error).message}`,
    );
  }
}

function tooLarge(limit: number): FjordError {
  return new FjordError(
    'PAYLOAD_TOO_LARGE',
    `request body is larger than the limit of ${limit} bytes`,
  );
}
