import type { TokenCreateResponse, TokenListResponse } from '../core/api.ts';
import { enc, type GatewayTransport } from './gateway-transport.ts';

/** `/v1/tokens` of the control API (admin only), as `fn token` uses it. */
export class TokenCalls {
  readonly #api: GatewayTransport;

  constructor(api: GatewayTransport) {
    this.#api = api;
  }

  /** A new token of `scope`; the plaintext in the answer is shown only this once. */
  create(scope: string, label?: string): Promise<TokenCreateResponse> {
    return this.#api.json('POST', '/v1/tokens', {
      scope,
      ...(label === undefined ? {} : { label }),
    });
  }

  list(): Promise<TokenListResponse> {
    return this.#api.json('GET', '/v1/tokens');
  }

  async delete(id: string): Promise<void> {
    await this.#api.send('DELETE', `/v1/tokens/${enc(id)}`);
  }
}
