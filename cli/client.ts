import type {
  AcceptedResponse,
  DeadLetterDetail,
  DeadLetterListResponse,
  DeployRequest,
  DeployResponse,
  ErrorBody,
  ExchangeBatchPublishResponse,
  ExchangePublishResponse,
  FunctionListResponse,
  FunctionView,
  InvocationView,
  LogListResponse,
  NodeDrainResponse,
  NodeListResponse,
  PurgeResponse,
  QueueBatchPublishResponse,
  QueuePublishResponse,
  RedriveRequest,
  RedriveResponse,
  RollbackRequest,
  SecretListResponse,
  SecretSetRequest,
  SecretView,
  TokenCreateResponse,
  TokenListResponse,
  VersionListResponse,
} from '../core/api.ts';
import { CliError } from './errors.ts';
import { hintFor } from './hints.ts';

/** A non-2xx answer of the gateway, with its {@link ErrorBody} fields when it sent one. */
export class ApiError extends CliError {
  readonly status: number;
  readonly callId: string | undefined;

  constructor(status: number, code: string, message: string, callId?: string) {
    super(message, { code, hint: hintFor(code, status) });
    this.name = 'ApiError';
    this.status = status;
    this.callId = callId;
  }
}

export interface ClientOptions {
  /** Base URL, e.g. http://127.0.0.1:8080. */
  gateway: string;
  token?: string;
  /** Cancels requests in flight (Ctrl-C). */
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

export interface LogQuery {
  after?: number;
  limit?: number;
  invocation?: string;
}

/** The control API of core/api.ts as typed calls. Every failure is a CliError. */
export class GatewayClient {
  readonly gateway: string;
  readonly #token: string | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #fetch: typeof fetch;

  constructor(options: ClientOptions) {
    this.gateway = options.gateway.replace(/\/+$/, '');
    this.#token = options.token;
    this.#signal = options.signal;
    this.#fetch = options.fetch ?? fetch;
  }

  deploy(name: string, body: DeployRequest): Promise<DeployResponse> {
    return this.#json('PUT', `/v1/functions/${enc(name)}`, body);
  }

  listFunctions(): Promise<FunctionListResponse> {
    return this.#json('GET', '/v1/functions');
  }

  listVersions(name: string): Promise<VersionListResponse> {
    return this.#json('GET', `/v1/functions/${enc(name)}/versions`);
  }

  rollback(name: string, body: RollbackRequest): Promise<FunctionView> {
    return this.#json('POST', `/v1/functions/${enc(name)}/rollback`, body);
  }

  async deleteFunction(name: string): Promise<void> {
    await this.#send('DELETE', `/v1/functions/${enc(name)}`);
  }

  listLogs(name: string, query: LogQuery = {}): Promise<LogListResponse> {
    const params = new URLSearchParams();
    if (query.after !== undefined) params.set('after', String(query.after));
    if (query.limit !== undefined) params.set('limit', String(query.limit));
    if (query.invocation !== undefined) params.set('invocation', query.invocation);
    const search = params.size > 0 ? `?${params.toString()}` : '';
    return this.#json('GET', `/v1/functions/${enc(name)}/logs${search}`);
  }

  /**
   * Invokes with an event and waits for the outcome (`?wait=true`). A failed invocation comes
   * back as its view too: the gateway answers with the error's status and the InvocationView.
   */
  async invokeAndWait(name: string, event: unknown): Promise<InvocationView> {
    const path = `/v1/functions/${enc(name)}/invocations?wait=true`;
    const response = await this.#send('POST', path, event, { tolerateErrors: true });
    const text = await response.text();
    const body = parseOrUndefined(text) as Partial<InvocationView> | undefined;
    if (typeof body?.id === 'string' && typeof body.status === 'string') {
      return body as InvocationView;
    }
    throw apiError(response, text);
  }

  /** Queues an invocation; resolves once the gateway has it durably (202). */
  async invokeAsync(
    name: string,
    event: unknown,
  ): Promise<AcceptedResponse & { location: string }> {
    const response = await this.#send('POST', `/v1/functions/${enc(name)}/invocations`, event);
    const accepted = (await response.json()) as AcceptedResponse;
    const location = response.headers.get('location') ?? `/v1/invocations/${enc(accepted.id)}`;
    return { ...accepted, location: new URL(location, `${this.gateway}/`).href };
  }

  getInvocation(id: string): Promise<InvocationView> {
    return this.#json('GET', `/v1/invocations/${enc(id)}`);
  }

  listDeadLetters(
    name: string,
    query: { after?: number; limit?: number } = {},
  ): Promise<DeadLetterListResponse> {
    const params = new URLSearchParams();
    if (query.after !== undefined) params.set('after', String(query.after));
    if (query.limit !== undefined) params.set('limit', String(query.limit));
    const search = params.size > 0 ? `?${params.toString()}` : '';
    return this.#json('GET', `/v1/functions/${enc(name)}/dlq${search}`);
  }

  getDeadLetter(name: string, id: string): Promise<DeadLetterDetail> {
    return this.#json('GET', `/v1/functions/${enc(name)}/dlq/${enc(id)}`);
  }

  redrive(name: string, body: RedriveRequest): Promise<RedriveResponse> {
    return this.#json('POST', `/v1/functions/${enc(name)}/dlq/redrive`, body);
  }

  purgeDeadLetters(name: string): Promise<PurgeResponse> {
    return this.#json('DELETE', `/v1/functions/${enc(name)}/dlq`);
  }

  /**
   * Publishes a message into a queue trigger's queue, or a batch when `contentType` is
   * NDJSON_TYPE; resolves once the broker has it (202). `headers` become message headers.
   */
  async publish(
    queue: string,
    body: string | Uint8Array,
    contentType: string,
    headers: Record<string, string> = {},
  ): Promise<QueuePublishResponse | QueueBatchPublishResponse> {
    const path = `/v1/queues/${enc(queue)}/messages`;
    const extra = Object.fromEntries(
      Object.entries(headers).map(([name, value]) => [`message-header-${name}`, value]),
    );
    const response = await this.#send('POST', path, body, { contentType, headers: extra });
    return (await response.json()) as QueuePublishResponse | QueueBatchPublishResponse;
  }

  /** As {@link publish}, through an exchange a queue trigger binds, with a routing key. */
  async publishToExchange(
    exchange: string,
    routingKey: string,
    body: string | Uint8Array,
    contentType: string,
    headers: Record<string, string> = {},
  ): Promise<ExchangePublishResponse | ExchangeBatchPublishResponse> {
    const path = `/v1/exchanges/${enc(exchange)}/messages`;
    const extra = Object.fromEntries(
      Object.entries(headers).map(([name, value]) => [`message-header-${name}`, value]),
    );
    extra['routing-key'] = routingKey;
    const response = await this.#send('POST', path, body, { contentType, headers: extra });
    return (await response.json()) as ExchangePublishResponse | ExchangeBatchPublishResponse;
  }

  listSecrets(name: string): Promise<SecretListResponse> {
    return this.#json('GET', `/v1/functions/${enc(name)}/secrets`);
  }

  setSecret(name: string, key: string, value: string): Promise<SecretView> {
    const body: SecretSetRequest = { value };
    return this.#json('PUT', `/v1/functions/${enc(name)}/secrets/${enc(key)}`, body);
  }

  async deleteSecret(name: string, key: string): Promise<void> {
    await this.#send('DELETE', `/v1/functions/${enc(name)}/secrets/${enc(key)}`);
  }

  /** Admin only: a new token of `scope`; the plaintext in the answer is shown only this once. */
  createToken(scope: string, label?: string): Promise<TokenCreateResponse> {
    return this.#json('POST', '/v1/tokens', { scope, ...(label === undefined ? {} : { label }) });
  }

  listTokens(): Promise<TokenListResponse> {
    return this.#json('GET', '/v1/tokens');
  }

  async deleteToken(id: string): Promise<void> {
    await this.#send('DELETE', `/v1/tokens/${enc(id)}`);
  }

  listNodes(): Promise<NodeListResponse> {
    return this.#json('GET', '/v1/nodes');
  }

  /** `fn node drain` (drain) or `fn node undrain`: NAME is a node id or a hostname. */
  drainNode(name: string, drain: boolean): Promise<NodeDrainResponse> {
    return this.#json('POST', `/v1/nodes/${enc(name)}/${drain ? 'drain' : 'undrain'}`);
  }

  async #json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.#send(method, path, body);
    return (await response.json()) as T;
  }

  async #send(
    method: string,
    path: string,
    body?: unknown,
    // With contentType, the body is sent as it is (a string or bytes); else as JSON.
    {
      tolerateErrors = false,
      contentType,
      headers: extra = {},
    }: { tolerateErrors?: boolean; contentType?: string; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...extra, accept: 'application/json' };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    if (body !== undefined) headers['content-type'] = contentType ?? 'application/json';
    let response: Response;
    try {
      response = await this.#fetch(`${this.gateway}${path}`, {
        method,
        headers,
        body:
          body === undefined
            ? undefined
            : contentType === undefined
              ? JSON.stringify(body)
              : (body as string | Uint8Array<ArrayBuffer>),
        signal: this.#signal,
      });
    } catch (error) {
      if (this.#signal?.aborted) throw error;
      throw unreachable(this.gateway, error);
    }
    if (!response.ok && !tolerateErrors) {
      throw apiError(response, await response.text().catch(() => ''));
    }
    return response;
  }
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function apiError(response: Response, text: string): ApiError {
  const error = (parseOrUndefined(text) as Partial<ErrorBody> | undefined)?.error;
  if (typeof error?.code === 'string' && typeof error.message === 'string') {
    return new ApiError(response.status, error.code, error.message, error.callId);
  }
  // Not an ErrorBody (a proxy's HTML page, say): report the status and the start of the body.
  const detail = text.trim().slice(0, 200) || response.statusText;
  return new ApiError(response.status, `HTTP_${response.status}`, detail);
}

/** fetch() rejects with "fetch failed" and the socket error as its cause. */
function unreachable(gateway: string, error: unknown): CliError {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  const reason = code ?? (typeof cause?.message === 'string' ? cause.message : String(error));
  return new CliError(`cannot reach the gateway at ${gateway}: ${reason}`, {
    code: 'GATEWAY_UNREACHABLE',
    hint: 'is the gateway running? start it with `fn up`, or point --gateway / FN_GATEWAY at it',
  });
}
