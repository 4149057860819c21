import { hostname } from 'node:os';
import { FjordError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';

/** What {@link RabbitMqBroker} takes; only `url` and `logger` are required. */
export interface RabbitMqBrokerOptions {
  /**
   * `amqp://user:pass@host:port/vhost`; a `heartbeat` query parameter overrides the default.
   * Several nodes of a cluster are a comma-separated list of such URLs: every connection attempt
   * takes the next one (see ConnectionManager), so losing a node moves clients to another.
   */
  url: string;
  logger: Logger;
  /**
   * First segment of every exchange and queue name (default `fjord`). Deployments sharing one
   * RabbitMQ vhost, and tests sharing one server, keep apart by using different prefixes.
   */
  prefix?: string;
  /** Shown as the connection's name in `rabbitmqctl list_connections` and the management UI. */
  connectionName?: string;
  /** AMQP heartbeat: a silent peer is declared dead after about twice this. Default 10. */
  heartbeatSeconds?: number;
  /** How long enqueue() and publishResult() wait for the broker's confirm. Default 10 000. */
  confirmTimeoutMs?: number;
  /** How long start() keeps retrying before it gives up. Default 30 000. */
  startTimeoutMs?: number;
  /** Deliveries after which a quorum queue drops a poison message. Default 20. */
  deliveryLimit?: number;
  /** Unsettled results per gateway. Default 64. */
  resultsPrefetch?: number;
  /** Reconnect backoff: doubles from the first delay up to the maximum, with jitter. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
}

/** Options with every default applied. */
export interface ResolvedOptions {
  /** At least one; each with its heartbeat set. */
  urls: string[];
  logger: Logger;
  prefix: string;
  connectionName: string;
  confirmTimeoutMs: number;
  startTimeoutMs: number;
  deliveryLimit: number;
  resultsPrefetch: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export function resolveOptions(options: RabbitMqBrokerOptions): ResolvedOptions {
  return {
    urls: splitUrls(options.url).map((url) => withHeartbeat(url, options.heartbeatSeconds ?? 10)),
    logger: options.logger,
    prefix: options.prefix ?? 'fjord',
    connectionName: options.connectionName ?? `fjord@${hostname()}:${process.pid}`,
    confirmTimeoutMs: options.confirmTimeoutMs ?? 10_000,
    startTimeoutMs: options.startTimeoutMs ?? 30_000,
    deliveryLimit: options.deliveryLimit ?? 20,
    resultsPrefetch: options.resultsPrefetch ?? 64,
    initialDelayMs: options.reconnect?.initialDelayMs ?? 100,
    maxDelayMs: options.reconnect?.maxDelayMs ?? 5_000,
  };
}

/**
 * The URLs of a comma-separated list. It is split only where the next `amqp://` or `amqps://`
 * begins, so a comma inside one URL (in a password, say) stays part of it.
 */
export function splitUrls(list: string): string[] {
  const urls = list
    .split(/,(?=\s*amqps?:\/\/)/)
    .map((url) => url.trim())
    .filter((url) => url !== '');
  if (urls.length === 0) {
    throw new FjordError('BAD_REQUEST', 'the RabbitMQ URL must look like amqp://user:pass@host');
  }
  return urls;
}

/** amqplib reads the heartbeat only from the URL's query when given a URL string. */
function withHeartbeat(url: string, seconds: number): string {
  const parsed = URL.parse(url);
  if (parsed === null || !/^amqps?:$/.test(parsed.protocol)) {
    throw new FjordError('BAD_REQUEST', 'the RabbitMQ URL must look like amqp://user:pass@host');
  }
  if (!parsed.searchParams.has('heartbeat')) parsed.searchParams.set('heartbeat', String(seconds));
  return parsed.toString();
}

/** The URL without its password, for logs and error messages. */
export function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString();
}
