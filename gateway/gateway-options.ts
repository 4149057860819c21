import type { Broker } from '../core/broker.ts';
import type { Logger } from '../core/logger.ts';
import type { SecretCipher } from '../core/secrets-cipher.ts';
import type { Store } from '../core/store.ts';
import type { AdmissionOptions } from './admission.ts';
import type { ImageStore } from './image-store.ts';
import { DEFAULT_CALLBACK_OPTIONS, type CallbackOptions } from './callbacks/callback-options.ts';
import { DEFAULT_DASHBOARD_OPTIONS, type DashboardOptions } from './dashboard/dashboard-options.ts';

/** Largest request bodies the gateway reads, in bytes; larger ones get 413 PAYLOAD_TOO_LARGE. */
export interface BodyLimits {
  /** PUT /v1/functions/NAME: manifest plus bundle. */
  deploy: number;
  /** Event invocations and HTTP trigger requests, as they travel to the function. */
  invocation: number;
  /** Small control bodies such as a rollback request. */
  control: number;
}

/** What createGateway takes: the ports, a logger, and tunables with defaults. */
export interface GatewayOptions {
  store: Store;
  broker: Broker;
  logger: Logger;
  limits?: Partial<BodyLimits>;
  /**
   * How long a sync caller waits beyond the function's own timeout, for queueing and transport.
   * The message expires then, so no node starts a request nobody waits for.
   */
  syncMarginMs?: number;
  /** The nodes' heartbeat interval; a node unheard for three of them is dropped from /v1/nodes. */
  heartbeatMs?: number;
  /**
   * How long a function looked up for an invocation is reused. Deploys, rollbacks and deletes
   * announced on the control fanout evict it at once; the TTL bounds staleness when an
   * announcement is lost (announcements are not durable). 0 disables the cache.
   */
  functionCacheTtlMs?: number;
  /**
   * How long a verified bearer token is believed without asking the store again (at most 1,000
   * tokens are kept). A token deleted from the store keeps working on a gateway that verified it
   * for at most this long. 0 disables the cache.
   */
  tokenCacheTtlMs?: number;
  /** How long /readyz waits for the store to answer. */
  readyTimeoutMs?: number;
  /** Trust X-Forwarded-Proto/-Host from a reverse proxy when building the URL a function sees. */
  trustProxy?: boolean;
  /** Seals and opens secrets (FN_SECRETS_KEY); absent: secrets cannot be set (SECRETS_KEY_MISSING). */
  secretsCipher?: SecretCipher;
  /** How long an `Idempotency-Key` stands for its first invocation. Default 24 hours. */
  idempotencyWindowMs?: number;
  /** Delivery of `X-Callback-Url` callbacks. */
  callbacks?: Partial<CallbackOptions>;
  /** The dashboard's sessions and the live event stream. */
  dashboard?: Partial<DashboardOptions>;
  /** Clock, injectable for tests. */
  now?: () => number;
  /** Where function images uploaded by `fn deploy` live; absent: the image routes answer 404. */
  images?: ImageStore;
  /** Rate limits and the queue-length cap (gateway/admission.ts); all off by default. */
  admissionLimits?: AdmissionOptions;
}

/** {@link GatewayOptions} with every default filled in. */
export type ResolvedGatewayOptions = Required<
  Omit<GatewayOptions, 'limits' | 'callbacks' | 'images' | 'dashboard' | 'secretsCipher'>
> & {
  secretsCipher?: SecretCipher;
  limits: BodyLimits;
  callbacks: CallbackOptions;
  dashboard: DashboardOptions;
  images?: ImageStore;
};

const MiB = 1024 * 1024;

/** Room for a large bundle on deploy; AWS Lambda's 6 MB for invocation payloads. */
export const DEFAULT_LIMITS: BodyLimits = {
  deploy: 20 * MiB,
  invocation: 6 * MiB,
  control: 64 * 1024,
};

/** Fills in the defaults of every optional setting. */
export function resolveGatewayOptions(options: GatewayOptions): ResolvedGatewayOptions {
  return {
    store: options.store,
    broker: options.broker,
    logger: options.logger,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    syncMarginMs: options.syncMarginMs ?? 1000,
    heartbeatMs: options.heartbeatMs ?? 5000,
    functionCacheTtlMs: options.functionCacheTtlMs ?? 1000,
    tokenCacheTtlMs: options.tokenCacheTtlMs ?? 5000,
    readyTimeoutMs: options.readyTimeoutMs ?? 2000,
    trustProxy: options.trustProxy ?? false,
    ...(options.secretsCipher === undefined ? {} : { secretsCipher: options.secretsCipher }),
    idempotencyWindowMs: options.idempotencyWindowMs ?? 24 * 60 * 60 * 1000,
    callbacks: { ...DEFAULT_CALLBACK_OPTIONS, ...options.callbacks },
    dashboard: { ...DEFAULT_DASHBOARD_OPTIONS, ...options.dashboard },
    now: options.now ?? Date.now,
    admissionLimits: options.admissionLimits ?? {},
    ...(options.images === undefined ? {} : { images: options.images }),
  };
}
