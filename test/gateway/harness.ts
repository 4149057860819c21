/**
 * A gateway under test: a real SqliteStore in memory, the fake broker, the Koa app served on
 * 127.0.0.1 on a free port, one token per scope, and a log that keeps every line written.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { TestContext } from 'node:test';
import { SqliteStore } from '../../adapters/store-sqlite/index.ts';
import type { AcceptedResponse, ErrorBody } from '../../core/api.ts';
import type { ErrorCode } from '../../core/errors.ts';
import { createLogger } from '../../core/logger.ts';
import type {
  HttpRequestData,
  HttpResponseData,
  InvocationMessage,
  InvocationResult,
  LogEntry,
  NodeInfo,
} from '../../core/messages.ts';
import type { TokenScope } from '../../core/store.ts';
import { createGateway, type Gateway, type GatewayOptions } from '../../gateway/gateway.ts';
import { FakeBroker } from '../support/fake-broker.ts';
import { serveGateway } from '../support/serve-gateway.ts';

/** A bundle that compiles; the fake broker never runs it. */
export const BUNDLE = 'var __fjord_module = (() => ({ default: { fetch() {} } }))();';

export interface Harness {
  url: string;
  store: SqliteStore;
  broker: FakeBroker;
  gateway: Gateway;
  tokens: Record<TokenScope, string>;
  /** Every log line the gateway wrote, raw. */
  logLines: string[];
  /** fetch against the gateway; `token` is a scope name (its token is sent) or a literal token. */
  request(path: string, init?: RequestInit & { token?: string }): Promise<Response>;
  /** Deploys through the API with the deploy token and returns the response. */
  deploy(name: string, manifest?: Record<string, unknown>, bundle?: string): Promise<Response>;
}

export async function startHarness(
  t: TestContext,
  options: Partial<Omit<GatewayOptions, 'store' | 'broker' | 'logger'>> = {},
): Promise<Harness> {
  const store = new SqliteStore({ path: ':memory:' });
  await store.init();
  const broker = new FakeBroker();
  const logLines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = createLogger({ level: 'debug', destination });
  const gateway = createGateway({ store, broker, logger, ...options });
  const url = await serveGateway(t, gateway);
  t.after(() => store.close());

  const tokens = {} as Record<TokenScope, string>;
  for (const scope of ['admin', 'deploy', 'invoke', 'node'] as const) {
    tokens[scope] = (await store.createToken(scope, `test ${scope}`)).token;
  }

  const request: Harness['request'] = (path, init = {}) => {
    const { token, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (token !== undefined) {
      const value = token in tokens ? tokens[token as TokenScope] : token;
      headers.set('authorization', `Bearer ${value}`);
    }
    return fetch(url + path, { ...rest, headers });
  };

  const deploy: Harness['deploy'] = (name, manifest = { name }, bundle = BUNDLE) =>
    request(`/v1/functions/${name}`, {
      method: 'PUT',
      token: 'deploy',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ manifest, bundle }),
    });

  return { url, store, broker, gateway, tokens, logLines, request, deploy };
}

/** Reads an error response body, checking it has the one error shape. */
export async function errorOf(
  response: Response,
): Promise<{ code: ErrorCode; message: string; callId?: string }> {
  const body = (await response.json()) as ErrorBody;
  if (typeof body.error?.code !== 'string' || typeof body.error.message !== 'string') {
    throw new Error(`not an error body: ${JSON.stringify(body)}`);
  }
  return body.error;
}

/** Sends a JSON event to POST /v1/functions/NAME/invocations with the invoke token. */
export function invoke(h: Harness, name: string, body: string, query = ''): Promise<Response> {
  return h.request(`/v1/functions/${name}/invocations${query}`, {
    method: 'POST',
    token: 'invoke',
    headers: { 'content-type': 'application/json' },
    body,
  });
}

/** Accepts an async invocation of `fn` with event `data` and returns the message the broker got. */
export async function accepted(
  h: Harness,
  fn: string,
  data: unknown = {},
): Promise<InvocationMessage> {
  const response = await invoke(h, fn, JSON.stringify(data));
  assert.equal(response.status, 202);
  const { id } = (await response.json()) as AcceptedResponse;
  const message = h.broker.enqueued.find((m) => m.id === id);
  assert.ok(message);
  return message;
}

/** The HTTP request a message carries to the function; fails the test for an event. */
export function httpRequestOf(message: InvocationMessage): HttpRequestData {
  if (message.payload.kind !== 'http') {
    assert.fail(`expected an http payload, got ${message.payload.kind}`);
  }
  return message.payload.request;
}

/** A finished result for a message, as a node would publish it. */
export function resultOf(
  message: InvocationMessage,
  outcome:
    | { response: HttpResponseData }
    | { value: unknown }
    | { error: InvocationResult['error'] & object },
  extra: { logs?: LogEntry[]; attempt?: number; startedAt?: number; endedAt?: number } = {},
): InvocationResult {
  const startedAt = extra.startedAt ?? message.acceptedAt + 3;
  return {
    id: message.id,
    callId: message.callId,
    fn: message.fn.name,
    version: message.fn.version,
    node: 'node-a',
    attempt: extra.attempt ?? 1,
    status: 'error' in outcome ? 'failed' : 'succeeded',
    startedAt,
    endedAt: extra.endedAt ?? startedAt + 7,
    coldStart: false,
    logs: extra.logs ?? [],
    ...outcome,
  };
}

/** The heartbeat of a running node on host-a following `greet`, with `extra` over it. */
export function nodeInfo(id: string, extra: Partial<NodeInfo> = {}): NodeInfo {
  return {
    id,
    hostname: 'host-a',
    startedAt: 1,
    state: 'running',
    inflight: 0,
    functions: ['greet'],
    ...extra,
  };
}
