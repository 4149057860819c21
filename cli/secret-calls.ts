import type { SecretListResponse, SecretSetRequest, SecretView } from '../core/api.ts';
import { enc, type GatewayTransport } from './gateway-transport.ts';

/** `/v1/functions/NAME/secrets` of the control API, as `fn secret` uses it. */
export class SecretCalls {
  readonly #api: GatewayTransport;

  constructor(api: GatewayTransport) {
    this.#api = api;
  }

  /** The keys of function `name`'s secrets (never a value). */
  list(name: string): Promise<SecretListResponse> {
    return this.#api.json('GET', `/v1/functions/${enc(name)}/secrets`);
  }

  set(name: string, key: string, value: string): Promise<SecretView> {
    const body: SecretSetRequest = { value };
    return this.#api.json('PUT', `/v1/functions/${enc(name)}/secrets/${enc(key)}`, body);
  }

  async delete(name: string, key: string): Promise<void> {
    await this.#api.send('DELETE', `/v1/functions/${enc(name)}/secrets/${enc(key)}`);
  }
}
