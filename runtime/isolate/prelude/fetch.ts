/**
 * fetch(), performed by the host (which applies the egress policy and limits): the request body
 * is read here, the response comes back whole and becomes a Response. Aborting the request's
 * signal rejects at once and tells the host to stop.
 */
import type { WireFetchRequest, WireFetchResponse } from '../protocol.ts';
import { BodyTooLarge } from './body.ts';
import type { HostCalls } from './host-calls.ts';
import { Request, type RequestInit } from './request.ts';
import { FETCHED, Response } from './response.ts';

export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

function toResponse(reply: WireFetchResponse): Response {
  const init = {
    status: reply.status,
    statusText: reply.statusText,
    headers: reply.headers,
    [FETCHED]: { url: reply.url, redirected: reply.redirected },
  };
  return new Response(reply.body, init);
}

export function createFetch(host: HostCalls, maxBodyBytes: number): Fetch {
  return async function fetch(input, init) {
    const request = new Request(input, init);
    const { signal } = request;
    signal.throwIfAborted();
    let bytes: Uint8Array;
    try {
      bytes = await request.readAll(maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        throw new TypeError(
          `fetch: the request body is larger than the limit of ${maxBodyBytes} bytes`,
          { cause: error },
        );
      }
      throw error;
    }
    const wire: WireFetchRequest = {
      url: request.url,
      method: request.method,
      headers: [...request.headers],
      body: bytes.byteLength === 0 ? null : bytes.slice(),
      redirect: request.redirect,
    };
    const { id, result } = host.start('fetch', wire);
    return new Promise<Response>((resolve, rejectWith) => {
      // An abort reason may be any value the caller chose, as the standard says.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      const reject = (reason: unknown): void => rejectWith(reason);
      const onAbort = (): void => {
        host.cancel(id);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      result.then(
        (reply) => {
          signal.removeEventListener('abort', onAbort);
          try {
            resolve(toResponse(reply as WireFetchResponse));
          } catch (error) {
            reject(error);
          }
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  };
}
