import type { ErrorBody, SecretValuesResponse } from '../core/api.ts';
import { FjordError, isErrorData } from '../core/errors.ts';
import type { SecretSource } from '../core/secrets.ts';

export interface GatewaySecretSourceOptions {
  gateway: string;
  /** The node token: only `node` tokens may read secret values. */
  token: string;
  /** A request that has not answered by then fails. Default 10 s. */
  timeoutMs?: number;
}

/**
 * The secrets of a function version, from the gateway (`GET .../versions/N/secret-values`)
 * with the node token: a remote node never holds the secrets key, and values travel over the
 * HTTP connection (put TLS in front of gateways that nodes reach over a network), never on the
 * broker. A gateway that does not answer is SECRETS_UNAVAILABLE (retryable).
 */
export function gatewaySecretSource(options: GatewaySecretSourceOptions): SecretSource {
  const base = options.gateway.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 10_000;
  return async (fn) => {
    const path = `/v1/functions/${encodeURIComponent(fn.name)}/versions/${fn.version}/secret-values`;
    let response: Response;
    let text: string;
    try {
      response = await fetch(base + path, {
        headers: { authorization: `Bearer ${options.token}` },
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw unavailable(fn.name, error instanceof Error ? error.message : String(error));
    }
    if (response.ok) return (JSON.parse(text) as SecretValuesResponse).values;
    if (response.status >= 500 && response.status !== 503) {
      throw unavailable(fn.name, `the gateway answered ${response.status}`);
    }
    const error = parseError(text);
    if (error !== undefined) throw FjordError.from(error);
    throw unavailable(fn.name, `the gateway answered ${response.status}`);
  };
}

function parseError(text: string): ErrorBody['error'] | undefined {
  try {
    const body = JSON.parse(text) as Partial<ErrorBody>;
    return isErrorData(body.error) ? body.error : undefined;
  } catch {
    return undefined;
  }
}

function unavailable(fn: string, reason: string): FjordError {
  return new FjordError(
    'SECRETS_UNAVAILABLE',
    `the secrets of ${fn} could not be fetched: ${reason}`,
  );
}
