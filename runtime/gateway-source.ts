import { createHash } from 'node:crypto';
import type { ErrorBody, FunctionListResponse } from '../core/api.ts';
import { FjordError, isErrorData } from '../core/errors.ts';
import type { BundleSource } from '../core/executor.ts';
import { toFunctionSpec } from '../core/function-spec.ts';
import type { FunctionSpec } from '../core/messages.ts';
import type { FunctionDirectory } from './function-directory.ts';

/**
 * A node on another host than the gateway learns functions and fetches bundles over the
 * control API with a `node`-scoped token, so nodes never need the store.
 */
export class GatewaySource implements FunctionDirectory {
  readonly #base: string;
  readonly #token: string;

  constructor(options: { gateway: string; token: string }) {
    this.#base = options.gateway.replace(/\/+$/, '');
    this.#token = options.token;
  }

  async list(): Promise<FunctionSpec[]> {
    const body = (await this.#get('/v1/functions').then((r) => r.json())) as FunctionListResponse;
    return body.functions.map((f) => toFunctionSpec(f.manifest, f.version, f.bundleSha));
  }

  /** Fetches a bundle and checks it really has the sha it was asked for. */
  readonly loadCode: BundleSource = async (sha) => {
    const code = await (await this.#get(`/v1/bundles/${encodeURIComponent(sha)}`)).text();
    const actual = createHash('sha256').update(code).digest('hex');
    if (actual !== sha)
      throw new FjordError('INTERNAL', `bundle ${sha} arrived with sha ${actual}`);
    return code;
  };

  async #get(path: string): Promise<Response> {
    const response = await fetch(this.#base + path, {
      headers: { authorization: `Bearer ${this.#token}` },
    });
    if (response.ok) return response;
    const body = (await response.json().catch(() => undefined)) as ErrorBody | undefined;
    if (isErrorData(body?.error)) throw FjordError.from(body.error);
    throw new FjordError('INTERNAL', `gateway answered ${response.status} to GET ${path}`);
  }
}
