/**
 * Talking to a gateway under test over real HTTP: tokens of the scopes a test needs, created in
 * the gateway's store, and a JSON caller of its API.
 */
import type { Store, TokenScope } from '../../core/store.ts';

/** One bearer token per scope asked for, created in `store`. */
export async function scopedTokens<S extends TokenScope>(
  store: Store,
  scopes: readonly S[],
): Promise<Record<S, string>> {
  const tokens = {} as Record<S, string>;
  for (const scope of scopes)
    tokens[scope] = (await store.createToken(scope, `test ${scope}`)).token;
  return tokens;
}

/** An API response: its status and its JSON body, typed as the caller expects it. */
export interface ApiAnswer<T> {
  status: number;
  body: T;
}

/** Calls the gateway at `url` with a bearer token and a JSON body; the answer's body is JSON. */
export function apiCaller(
  url: string,
): <T>(method: string, path: string, bearer: string, body?: unknown) => Promise<ApiAnswer<T>> {
  return async <T>(method: string, path: string, bearer: string, body?: unknown) => {
    const response = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as T };
  };
}
