import { createHash } from 'node:crypto';
import type { CancellationListResponse, ErrorBody, FunctionListResponse } from '../core/api.ts';
import { FjordError, isErrorData, type ErrorCode } from '../core/errors.ts';
import type { BundleSource } from '../core/executor.ts';
import { toFunctionSpec } from '../core/function-spec.ts';
import type { FunctionSpec } from '../core/messages.ts';
import type { FunctionDirectory } from './function-directory.ts';

export interface GatewaySourceOptions {
  gateway: string;
  token: string;
  /** A request that has not answered (headers and body) by then fails. Default 30 s. */
  timeoutMs?: number;
}

function describe(error: unknown): string {
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (cause instanceof Error) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/**
 * A node on another host than the gateway learns functions and fetches bundles over the
 * control API with a `node`-scoped token, so nodes never need the store.
 *
 * A bundle that cannot be had because no gateway answers (connection refused or cut, a 5xx, a
 * timeout) is BUNDLE_UNAVAILABLE: retryable, and the agent waits for it rather than spending
 * the invocation's attempts (runtime/bundle-wait.ts). What the gateway refuses (4xx) is its own
 * error, as before.
 */
export class GatewaySource implements FunctionDirectory {
  readonly #base: string;
  readonly #token: string;
  readonly #timeoutMs: number;

  constructor(options: GatewaySourceOptions) {
    this.#base = options.gateway.replace(/\/+$/, '');
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  async list(): Promise<FunctionSpec[]> {
    const body = JSON.parse(await this.#get('/v1/functions', 'INTERNAL')) as FunctionListResponse;
    return body.functions.map((f) => toFunctionSpec(f.manifest, f.version, f.bundleSha));
  }

  async cancelled(since: number): Promise<string[]> {
    const path = `/v1/cancellations?since=${Math.max(0, Math.floor(since))}`;
    return (JSON.parse(await this.#get(path, 'INTERNAL')) as CancellationListResponse).ids;
  }

  /** Fetches a bundle and checks it really has the sha it was asked for. */
  readonly loadCode: BundleSource = async (sha) => {
    const code = await this.#get(`/v1/bundles/${encodeURIComponent(sha)}`, 'BUNDLE_UNAVAILABLE');
    const actual = createHash('sha256').update(code).digest('hex');
    if (actual !== sha)
      throw new FjordError('INTERNAL', `bundle ${sha} arrived with sha ${actual}`);
    return code;
  };

  /** The body of a successful GET; `unavailable` is the code for a gateway that did not answer. */
  async #get(path: string, unavailable: ErrorCode): Promise<string> {
    const down = (reason: string): FjordError =>
      new FjordError(unavailable, `the gateway did not answer GET ${path}: ${reason}`, {
        retryable: true,
      });
    let response: Response;
    let body: string;
    try {
      response = await fetch(this.#base + path, {
        headers: { authorization: `Bearer ${this.#token}` },
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      body = await response.text();
    } catch (error) {
      throw down(describe(error));
    }
    if (response.ok) return body;
    if (response.status >= 500) throw down(`it answered ${response.status}`);
    let parsed: ErrorBody | undefined;
    try {
      parsed = JSON.parse(body) as ErrorBody;
    } catch {
      parsed = undefined;
    }
    if (isErrorData(parsed?.error)) throw FjordError.from(parsed.error);
    throw new FjordError('INTERNAL', `gateway answered ${response.status} to GET ${path}`);
  }
}
