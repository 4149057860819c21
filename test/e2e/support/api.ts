/** A thin client of a running gateway for end-to-end tests: raw HTTP, nothing hidden. */
import { readFileSync } from 'node:fs';
import type { DeployResponse, InvocationView } from '../../../core/api.ts';
import { bundleFunction } from '../../fixtures/bundles/fixture-bundles.ts';
import { waitFor } from '../../support/inbox.ts';

export interface Credentials {
  gateway: string;
  token: string;
}

export function readCredentials(path: string): Credentials {
  return JSON.parse(readFileSync(path, 'utf8')) as Credentials;
}

export class Api {
  readonly base: string;
  readonly token: string;

  constructor(credentials: Credentials) {
    this.base = credentials.gateway.replace(/\/+$/, '');
    this.token = credentials.token;
  }

  fetch(path: string, init: RequestInit & { auth?: boolean } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (init.auth !== false) headers.set('authorization', `Bearer ${this.token}`);
    return fetch(this.base + path, { ...init, headers });
  }

  async json<T>(
    path: string,
    init: RequestInit & { auth?: boolean } = {},
  ): Promise<{ status: number; body: T; headers: Headers }> {
    const response = await this.fetch(path, init);
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: (text ? JSON.parse(text) : undefined) as T,
    };
  }

  /** Deploys a fixture from test/fixtures/functions under `name` with the given manifest fields. */
  async deployFixture(
    name: string,
    fixture: string,
    manifest: Record<string, unknown> = {},
  ): Promise<DeployResponse> {
    const bundle = await bundleFunction(fixture);
    const { status, body } = await this.json<DeployResponse>(`/v1/functions/${name}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ manifest: { name, ...manifest }, bundle }),
    });
    if (status !== 201 && status !== 200)
      throw new Error(`deploy of ${name} answered ${status}: ${JSON.stringify(body)}`);
    return body;
  }

  /** Accepts an async event invocation and returns its id. */
  async invokeAsync(name: string, event: unknown): Promise<string> {
    const { status, body } = await this.json<{ id: string }>(`/v1/functions/${name}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event),
    });
    if (status !== 202)
      throw new Error(`async invoke of ${name} answered ${status}: ${JSON.stringify(body)}`);
    return body.id;
  }

  async invocation(id: string): Promise<InvocationView> {
    return (await this.json<InvocationView>(`/v1/invocations/${id}`)).body;
  }

  /** Polls an invocation until it is final (succeeded, failed or dead). */
  async settled(id: string, timeoutMs = 30_000): Promise<InvocationView> {
    return waitFor(
      async () => {
        const view = await this.invocation(id);
        return ['succeeded', 'failed', 'dead'].includes(view.status) ? view : undefined;
      },
      { timeoutMs, intervalMs: 50, what: `invocation ${id} to settle` },
    );
  }
}
