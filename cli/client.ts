import type {
  AcceptedResponse,
  DeadLetterDetail,
  DeadLetterListResponse,
  DeployRequest,
  DeployResponse,
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
  VersionListResponse,
} from '../core/api.ts';
import {
  apiError,
  enc,
  GatewayTransport,
  parseOrUndefined,
  type ClientOptions,
} from './gateway-transport.ts';
import { SecretCalls } from './secret-calls.ts';
import { TokenCalls } from './token-calls.ts';

export interface LogQuery {
  after?: number;
  limit?: number;
  invocation?: string;
}

/** The control API of core/api.ts as typed calls. Every failure is a CliError. */
export class GatewayClient {
  readonly gateway: string;
  /** `fn token`: create, list, delete control API tokens (admin). */
  readonly tokens: TokenCalls;
  /** `fn secret`: a function's secrets. */
  readonly secrets: SecretCalls;
  readonly #api: GatewayTransport;

  constructor(options: ClientOptions) {
    this.#api = new GatewayTransport(options);
    this.gateway = this.#api.gateway;
    this.tokens = new TokenCalls(this.#api);
    this.secrets = new SecretCalls(this.#api);
  }

  deploy(name: string, body: DeployRequest): Promise<DeployResponse> {
    return this.#api.json('PUT', `/v1/functions/${enc(name)}`, body);
  }

  listFunctions(): Promise<FunctionListResponse> {
    return this.#api.json('GET', '/v1/functions');
  }

  listVersions(name: string): Promise<VersionListResponse> {
    return this.#api.json('GET', `/v1/functions/${enc(name)}/versions`);
  }

  rollback(name: string, body: RollbackRequest): Promise<FunctionView> {
    return this.#api.json('POST', `/v1/functions/${enc(name)}/rollback`, body);
  }

  async deleteFunction(name: string): Promise<void> {
    await this.#api.send('DELETE', `/v1/functions/${enc(name)}`);
  }

  listLogs(name: string, query: LogQuery = {}): Promise<LogListResponse> {
    const params = new URLSearchParams();
    if (query.after !== undefined) params.set('after', String(query.after));
    if (query.limit !== undefined) params.set('limit', String(query.limit));
    if (query.invocation !== undefined) params.set('invocation', query.invocation);
    const search = params.size > 0 ? `?${params.toString()}` : '';
    return this.#api.json('GET', `/v1/functions/${enc(name)}/logs${search}`);
  }

  /**
   * Invokes with an event and waits for the outcome (`?wait=true`). A failed invocation comes
   * back as its view too: the gateway answers with the error's status and the InvocationView.
   */
  async invokeAndWait(name: string, event: unknown): Promise<InvocationView> {
    const path = `/v1/functions/${enc(name)}/invocations?wait=true`;
    const response = await this.#api.send('POST', path, event, { tolerateErrors: true });
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
    const response = await this.#api.send('POST', `/v1/functions/${enc(name)}/invocations`, event);
    const accepted = (await response.json()) as AcceptedResponse;
    const location = response.headers.get('location') ?? `/v1/invocations/${enc(accepted.id)}`;
    return { ...accepted, location: new URL(location, `${this.gateway}/`).href };
  }

  getInvocation(id: string): Promise<InvocationView> {
    return this.#api.json('GET', `/v1/invocations/${enc(id)}`);
  }

  listDeadLetters(
    name: string,
    query: { after?: number; limit?: number } = {},
  ): Promise<DeadLetterListResponse> {
    const params = new URLSearchParams();
    if (query.after !== undefined) params.set('after', String(query.after));
    if (query.limit !== undefined) params.set('limit', String(query.limit));
    const search = params.size > 0 ? `?${params.toString()}` : '';
    return this.#api.json('GET', `/v1/functions/${enc(name)}/dlq${search}`);
  }

  getDeadLetter(name: string, id: string): Promise<DeadLetterDetail> {
    return this.#api.json('GET', `/v1/functions/${enc(name)}/dlq/${enc(id)}`);
  }

  redrive(name: string, body: RedriveRequest): Promise<RedriveResponse> {
    return this.#api.json('POST', `/v1/functions/${enc(name)}/dlq/redrive`, body);
  }

  purgeDeadLetters(name: string): Promise<PurgeResponse> {
    return this.#api.json('DELETE', `/v1/functions/${enc(name)}/dlq`);
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
    const response = await this.#api.send('POST', path, body, { contentType, headers: extra });
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
    const response = await this.#api.send('POST', path, body, { contentType, headers: extra });
    return (await response.json()) as ExchangePublishResponse | ExchangeBatchPublishResponse;
  }

  listNodes(): Promise<NodeListResponse> {
    return this.#api.json('GET', '/v1/nodes');
  }

  /** `fn node drain` (drain) or `fn node undrain`: NAME is a node id or a hostname. */
  drainNode(name: string, drain: boolean): Promise<NodeDrainResponse> {
    return this.#api.json('POST', `/v1/nodes/${enc(name)}/${drain ? 'drain' : 'undrain'}`);
  }
}
