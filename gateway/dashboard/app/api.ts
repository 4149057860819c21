import type { ErrorBody, InvocationView } from '../../../core/api.ts';
import type { OverviewResponse, SessionView } from '../wire.ts';

/** A failed API call, with the error the gateway answered. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * Calls the control API. Reads go with the session cookie (same origin); the token itself is
 * only ever sent once, in the body of the login.
 */
async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(path, { credentials: 'same-origin', ...init });
  const text = await response.text();
  const body = text === '' ? undefined : (JSON.parse(text) as unknown);
  if (!response.ok) {
    const error = (body as Partial<ErrorBody> | undefined)?.error;
    throw new ApiError(
      response.status,
      error?.code ?? 'UNKNOWN',
      error?.message ?? `the gateway answered ${response.status}`,
    );
  }
  return body as T;
}

export function login(token: string): Promise<SessionView> {
  return call('/v1/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
}

export function logout(): Promise<void> {
  return call('/v1/session', { method: 'DELETE' });
}

export function session(): Promise<SessionView> {
  return call('/v1/session');
}

export function overview(): Promise<OverviewResponse> {
  return call('/v1/overview');
}

export function invocation(id: string): Promise<InvocationView> {
  return call(`/v1/invocations/${encodeURIComponent(id)}`);
}
