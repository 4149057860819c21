/**
 * The control API's wire types, shared by the gateway (which serves them) and the CLI (which
 * reads them). Every error body is {@link ErrorBody}. Routes, scopes and bodies:
 *
 * | route | scope | request | response |
 * |---|---|---|---|
 * | PUT /v1/functions/NAME | deploy | {@link DeployRequest} | 201 {@link DeployResponse} |
 * | GET /v1/functions | invoke | | {@link FunctionListResponse} |
 * | GET /v1/functions/NAME | invoke | | {@link FunctionView} |
 * | GET /v1/functions/NAME/versions | invoke | | {@link VersionListResponse} |
 * | POST /v1/functions/NAME/rollback | deploy | {@link RollbackRequest} | {@link FunctionView} |
 * | DELETE /v1/functions/NAME | deploy | | 204 |
 * | GET /v1/functions/NAME/logs?after=SEQ&limit=N&invocation=ID | invoke | | {@link LogListResponse} |
 * | POST /v1/functions/NAME/invocations[?wait=true] | invoke | any JSON event | 202 {@link AcceptedResponse} + Location, or 200 {@link InvocationView} with wait |
 * | GET /v1/invocations/ID | invoke | | {@link InvocationView} |
 * | DELETE /v1/invocations/ID | invoke | | {@link InvocationView} (cancelled), or 409 INVOCATION_NOT_CANCELLABLE |
 * | GET /v1/cancellations?since=MS | node | | {@link CancellationListResponse} |
 * | GET /v1/functions/NAME/dlq?after=SEQ&limit=N | invoke | | {@link DeadLetterListResponse} |
 * | GET /v1/functions/NAME/dlq/ID | invoke | | {@link DeadLetterDetail} |
 * | POST /v1/functions/NAME/dlq/redrive | deploy | {@link RedriveRequest} | {@link RedriveResponse} |
 * | DELETE /v1/functions/NAME/dlq | deploy | | {@link PurgeResponse} |
 * | GET /v1/bundles/SHA | node | | the bundle, application/javascript |
 * | GET /v1/functions/NAME/secrets | deploy | | {@link SecretListResponse} (keys and times, never values) |
 * | PUT /v1/functions/NAME/secrets/KEY | deploy | {@link SecretSetRequest} | {@link SecretView} |
 * | DELETE /v1/functions/NAME/secrets/KEY | deploy | | 204, or 404 SECRET_NOT_FOUND |
 * | GET /v1/functions/NAME/versions/N/secret-values | node only (not admin) | | {@link SecretValuesResponse}: the secrets version N declares |
 * | POST /v1/tokens | admin | {@link TokenCreateRequest} | 201 {@link TokenCreateResponse}: the token, shown once |
 * | GET /v1/tokens | admin | | {@link TokenListResponse} (records, never a secret or hash) |
 * | DELETE /v1/tokens/ID | admin | | 204, or 404 TOKEN_NOT_FOUND |
 * | PUT /v1/images/SHA | deploy | a `docker save` tarball whose sha256 is SHA (streamed) | 201 or 200 {@link ImageUploadResponse} |
 * | HEAD /v1/images/SHA | deploy or node | | 200 with Content-Length, or 404; both with {@link IMAGE_LIMIT_HEADER} |
 * | GET /v1/images/SHA | node | | the tarball, application/x-tar |
 * | GET /v1/nodes | invoke | | {@link NodeListResponse} |
 * | POST /v1/nodes/NAME/drain, POST /v1/nodes/NAME/undrain | admin | | 202 {@link NodeDrainResponse}, 404 NODE_NOT_FOUND, 409 NODE_DOWN |
 * | GET /v1/overview | invoke (or session) | | `OverviewResponse` (gateway/dashboard/wire.ts) |
 * | GET /v1/events | invoke (or session) | | text/event-stream of `GatewayEvent`s (same file) |
 * | POST /v1/session | none | `{"token": "..."}` | 201 `SessionView` + session cookie |
 * | GET /v1/session, DELETE /v1/session | invoke (or session), none | | `SessionView`, 204 |
 * | GET / | none | | the dashboard page |
 * | POST /v1/queues/QUEUE/messages | invoke | the message body, any Content-Type; `Message-Header-X: v` headers; or a batch: {@link NDJSON_TYPE}, one JSON message a line | 202 {@link QueuePublishResponse}, or {@link QueueBatchPublishResponse} for a batch |
 * | POST /v1/exchanges/EXCHANGE/messages | invoke | as above, plus `Routing-Key: K` | 202 {@link ExchangePublishResponse}, or {@link ExchangeBatchPublishResponse} for a batch |
 * | GET /healthz, GET /readyz | none | | {@link HealthResponse} |
 * | ANY /fn/NAME/... | none (or invoke when triggers.http.public is false) | passed to fetch() | the function's response |
 *
 * Async invocations (`Prefer: respond-async` on /fn/NAME, POST .../invocations without wait)
 * honour `Idempotency-Key` (the same key for the same function within the window answers the
 * first invocation's 202 again, with `Idempotent-Replayed: true`) and `X-Callback-Url` (the final
 * {@link InvocationView} is POSTed there, see {@link CALLBACK_HEADERS}).
 *
 * Scopes nest: admin ⊃ deploy ⊃ invoke. `node` is for runtime nodes only (bundles, function
 * list); admin may do everything a node does.
 */
import type { ErrorData } from './errors.ts';
import type { Manifest } from './manifest.ts';
import type { InvocationPayload, NodeInfo } from './messages.ts';
import type { AttemptRecord, CallbackState, InvocationRecord, LogRecord } from './store.ts';

export interface ErrorBody {
  error: ErrorData & { callId?: string };
}

export interface DeployRequest {
  /** fn.json contents; validated by the gateway too. */
  manifest: unknown;
  /** The esbuild bundle (IIFE assigning the module to `globalThis.__fjord_module`). */
  bundle: string;
}

export interface VersionView {
  version: number;
  bundleSha: string;
  bundleSize: number;
  createdAt: string;
  active: boolean;
  manifest: Manifest;
}

export interface FunctionView {
  name: string;
  version: number;
  runtime: Manifest['runtime'];
  /** Path of its HTTP trigger on the gateway, e.g. `/fn/hello`. */
  url: string;
  createdAt: string;
  updatedAt: string;
  manifest: Manifest;
  bundleSha: string;
  bundleSize: number;
  /** When `triggers.schedule` fires next (ISO 8601); absent without a schedule. */
  nextRun?: string;
}

export interface DeployResponse {
  function: FunctionView;
  /** True when this deploy created a new version; false when the bundle and manifest were unchanged. */
  created: boolean;
}

export interface FunctionListResponse {
  functions: FunctionView[];
}

export interface VersionListResponse {
  versions: VersionView[];
}

export interface RollbackRequest {
  /** Version to activate; the one before the active version when absent. */
  version?: number;
}

export interface LogListResponse {
  logs: LogRecord[];
  /** Pass as `after` to get only newer records. */
  next: number;
}

export interface AcceptedResponse {
  id: string;
}

export interface InvocationView extends Omit<
  InvocationRecord,
  'queuedAt' | 'startedAt' | 'endedAt' | 'nextAttemptAt' | 'callback'
> {
  queuedAt: string;
  startedAt?: string;
  endedAt?: string;
  /** When the next attempt is due, while `retrying`. */
  nextAttemptAt?: string;
  callback?: CallbackView;
  /** Every attempt so far, oldest first (GET /v1/invocations/ID and callbacks). */
  history?: AttemptView[];
  logs: Pick<LogRecord, 'ts' | 'level' | 'message'>[];
}

export interface AttemptView extends Omit<AttemptRecord, 'startedAt' | 'endedAt'> {
  startedAt?: string;
  endedAt?: string;
}

export interface CallbackView extends Omit<CallbackState, 'nextAt' | 'deliveredAt'> {
  nextAt?: string;
  deliveredAt?: string;
}

/** The headers of a callback POST, besides Content-Type: application/json. */
export const CALLBACK_HEADERS = {
  callId: 'X-Call-Id',
  invocationId: 'X-Fjord-Invocation-Id',
  /** The invocation's final status. */
  status: 'X-Fjord-Status',
  /** The attempt the invocation ended with. */
  attempt: 'X-Fjord-Attempt',
  /** Which try of this callback it is (1, 2, ...): receivers should expect repeats. */
  delivery: 'X-Fjord-Callback-Attempt',
} as const;

/** One entry of a function's dead-letter queue. */
export interface DeadLetterView {
  /** The invocation id. */
  id: string;
  /** Pass as `after` to list what comes after this entry. */
  seq: number;
  fn: string;
  callId: string;
  version: number;
  /** The attempt that gave up. */
  attempt: number;
  node: string;
  error: ErrorData & { callId?: string };
  queuedAt: string;
  deadAt: string;
}

export interface DeadLetterListResponse {
  deadLetters: DeadLetterView[];
  /** Entries in the queue, listed or not. */
  total: number;
  /** Pass as `after` for the next page; absent on the last one. */
  next?: number;
}

/** A dead letter with what it carried and every attempt it had. */
export interface DeadLetterDetail extends DeadLetterView {
  payload: InvocationPayload;
  history: AttemptView[];
}

export interface RedriveRequest {
  /** Invocation ids to redrive; the whole queue when absent. */
  ids?: string[];
}

export interface RedriveResponse {
  /** How many entries were enqueued again (as attempt N+1, with a fresh retry budget). */
  redriven: number;
  /** Ids asked for that are not in the queue. */
  missing: string[];
}

export interface PurgeResponse {
  purged: number;
}

/** A runtime node as `GET /v1/nodes` shows it. */
export interface NodeView extends Omit<NodeInfo, 'state'> {
  /**
   * `running`; `draining` (`fn node drain` or stopping) with `inflight` left, `drained` once
   * none is; `down`: no heartbeat for three of its intervals.
   */
  state: 'running' | 'draining' | 'drained' | 'down';
  /** Its last heartbeat (ISO 8601), and how long ago that was on the gateway's clock. */
  lastSeen: string;
  lastSeenAgoMs: number;
}

/** Every node heard from in the last 60 heartbeat intervals, by id. */
export interface NodeListResponse {
  nodes: NodeView[];
}

/** The nodes a drain or undrain was announced to (NAME is a node id, or a hostname: all of its). */
export interface NodeDrainResponse {
  nodes: string[];
  drain: boolean;
}

/**
 * Header of `HEAD /v1/images/SHA` answers: the largest image (bytes) the gateway takes, so a
 * deploying client refuses a larger one before sending it (a gateway answering 413 mid-upload
 * closes the connection, and the client may see the broken write before the answer).
 */
export const IMAGE_LIMIT_HEADER = 'x-fjord-image-limit';

/** The message of PAYLOAD_TOO_LARGE for an image, the same from the gateway and the CLI. */
export function imageTooLargeMessage(limit: number): string {
  return `the image is larger than this gateway takes (${limit} bytes): make it smaller or raise the gateway's image limit (FN_IMAGE_LIMIT_MB)`;
}

/** Answer to `PUT /v1/images/SHA`: 201 when stored now, 200 when the gateway had it already. */
export interface ImageUploadResponse {
  sha: string;
  size: number;
  created: boolean;
}

export interface HealthResponse {
  status: 'ok' | 'unavailable';
  broker?: string;
  store?: string;
}

/** The global the bundler assigns the function module to inside an isolate or container. */
export const MODULE_GLOBAL = '__fjord_module';

/** A message published into a queue trigger's queue. */
export interface QueuePublishResponse {
  id: string;
  queue: string;
}

/**
 * The invocations cancelled since `since` (epoch ms), latest first, at most
 * {@link CANCELLATIONS_LIMIT}: a node that starts late learns what it must skip.
 */
export interface CancellationListResponse {
  ids: string[];
}

/** Most ids one {@link CancellationListResponse} carries (as many as a node remembers). */
export const CANCELLATIONS_LIMIT = 100_000;

/** Content type of a batch publish: one JSON message per line ({@link QueueBatchPublishResponse}). */
export const NDJSON_TYPE = 'application/x-ndjson';

/** Messages one batch publish may carry. */
export const MAX_PUBLISH_BATCH = 1000;

/** A batch published into a queue trigger's queue: the ids in the order of the lines. */
export interface QueueBatchPublishResponse {
  ids: string[];
  queue: string;
}

/** A message published to an exchange a queue trigger binds. */
export interface ExchangePublishResponse {
  id: string;
  exchange: string;
  routingKey: string;
}

/** A batch published to an exchange: the ids in the order of the lines. */
export interface ExchangeBatchPublishResponse {
  ids: string[];
  exchange: string;
  routingKey: string;
}

/** A secret as the control API shows it: never its value. */
export interface SecretView {
  key: string;
  updatedAt: string;
}

export interface SecretListResponse {
  secrets: SecretView[];
}

export interface SecretSetRequest {
  value: string;
}

/** A control API token as listed: never its secret nor its hash. */
export interface TokenView {
  /** 16 hex digits, the part of the token after `fjd_`; what DELETE /v1/tokens/ID takes. */
  id: string;
  scope: 'admin' | 'deploy' | 'invoke' | 'node';
  /** What it is for, as given at creation ("" when none was). */
  label: string;
  createdAt: string;
}

export interface TokenCreateRequest {
  scope: TokenView['scope'];
  /** 1 to 64 printable characters; optional. */
  label?: string;
}

export interface TokenCreateResponse {
  /** The plaintext token: this is the only time it is shown. */
  token: string;
  record: TokenView;
}

export interface TokenListResponse {
  tokens: TokenView[];
}

/**
 * For runtime nodes only: the values of the secrets a function version declares that are set
 * (a declared one that is not set is absent).
 */
export interface SecretValuesResponse {
  values: Record<string, string>;
}
