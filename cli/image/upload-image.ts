import { createReadStream } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream/promises';
import {
  IMAGE_LIMIT_HEADER,
  imageTooLargeMessage,
  type ErrorBody,
  type ImageUploadResponse,
} from '../../core/api.ts';
import { ApiError } from '../gateway-transport.ts';
import { CliError } from '../errors.ts';
import type { SavedImage } from './save-image.ts';

export interface UploadTarget {
  gateway: string;
  token?: string;
  signal?: AbortSignal;
}

/**
 * Puts a saved image on the gateway unless it has it already (HEAD first: an unchanged image is
 * never sent twice). An image over the limit the HEAD answer states is refused here, unsent; the
 * file is streamed with its Content-Length, so an older gateway still refuses it unread. Resolves true when bytes were sent.
 */
export async function uploadImage(image: SavedImage, target: UploadTarget): Promise<boolean> {
  const url = `${target.gateway.replace(/\/+$/, '')}/v1/images/${image.sha}`;
  const authorization: Record<string, string> = target.token
    ? { authorization: `Bearer ${target.token}` }
    : {};
  let head: Response;
  try {
    head = await fetch(url, { method: 'HEAD', headers: authorization, signal: target.signal });
  } catch (error) {
    throw unreachable(target.gateway, error);
  }
  if (head.status === 200) return false;
  if (head.status !== 404) throw new ApiError(head.status, `HTTP_${head.status}`, `HEAD ${url}`);
  const limit = Number.parseInt(head.headers.get(IMAGE_LIMIT_HEADER) ?? '', 10);
  if (image.size > limit) {
    throw new ApiError(413, 'PAYLOAD_TOO_LARGE', imageTooLargeMessage(limit));
  }
  const response = await put(url, image, authorization, target.signal).catch((error: unknown) => {
    if (error instanceof CliError) throw error;
    throw unreachable(target.gateway, error);
  });
  const text = await readText(response);
  const status = response.statusCode ?? 0;
  if (status >= 200 && status < 300) {
    const body = JSON.parse(text) as ImageUploadResponse;
    if (body.sha !== image.sha)
      throw new CliError(`the gateway stored ${body.sha}, not ${image.sha}`);
    return true;
  }
  const error = (safeParse(text) as Partial<ErrorBody> | undefined)?.error;
  if (typeof error?.code === 'string' && typeof error.message === 'string') {
    throw new ApiError(status, error.code, error.message, error.callId);
  }
  throw new ApiError(status, `HTTP_${status}`, text.trim().slice(0, 200));
}

/**
 * node:http rather than fetch: the gateway may answer (413) before the body is sent, and the
 * answer is what matters then, not the write that fails after it.
 */
function put(
  url: string,
  image: SavedImage,
  headers: Record<string, string>,
  signal?: AbortSignal,
): Promise<IncomingMessage> {
  const request = (url.startsWith('https:') ? httpsRequest : httpRequest)(url, {
    method: 'PUT',
    headers: {
      ...headers,
      'content-type': 'application/x-tar',
      'content-length': String(image.size),
    },
    ...(signal === undefined ? {} : { signal }),
  });
  return new Promise((resolve, reject) => {
    request.once('response', resolve);
    request.once('error', reject);
    pipeline(createReadStream(image.path), request).catch(() => {
      // Reported through 'response' (an early answer) or 'error' (a lost connection).
    });
  });
}

function readText(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => (text += chunk));
    response.on('end', () => resolve(text));
    response.on('error', reject);
  });
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function unreachable(gateway: string, error: unknown): CliError {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  const code = (error as { code?: unknown }).code ?? cause?.code;
  return new CliError(
    `cannot upload the image to the gateway at ${gateway}: ${typeof code === 'string' ? code : String(error)}`,
    { code: 'GATEWAY_UNREACHABLE' },
  );
}
