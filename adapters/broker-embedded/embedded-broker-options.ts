import { FjordError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';

/** Options of {@link EmbeddedBroker}; only `path` and `logger` are required. */
export interface EmbeddedBrokerOptions {
  /**
   * The SQLite file (created when missing). Instances on the same file share its queues;
   * `:memory:` gives a private, non-durable broker (tests).
   */
  path: string;
  logger: Logger;
  /**
   * `normal` (default): an enqueue survives a crash or kill -9 of the process, not a power
   * failure; `full` fsyncs every commit on the event loop. See database.ts for the reasoning.
   */
  synchronous?: 'normal' | 'full';
  /** How long a write waits for another instance holding the write lock. Default 5000. */
  busyTimeoutMs?: number;
  /** How often to look for rows written by other instances on the file. Default 50. */
  pollIntervalMs?: number;
  /** How often this instance proves it is alive and reaps dead ones. Default 2000. */
  heartbeatIntervalMs?: number;
  /**
   * Another process's instance silent this long is dead even if its pid exists (pid reuse).
   * Default 30000.
   */
  staleAfterMs?: number;
  /** Unsettled results at once on a consumeResults subscription. Default 32. */
  resultsPrefetch?: number;
  /** Clock for deadlines and retry delays; injectable for tests. */
  now?: () => number;
  /** Whether a pid is alive; injectable for tests. */
  isProcessAlive?: (pid: number) => boolean;
}

export type ResolvedOptions = Required<Omit<EmbeddedBrokerOptions, 'isProcessAlive'>> &
  Pick<EmbeddedBrokerOptions, 'isProcessAlive'>;

/** Fills in defaults and rejects values that would make the broker misbehave. */
export function resolveOptions(options: EmbeddedBrokerOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    path: options.path,
    logger: options.logger,
    synchronous: options.synchronous ?? 'normal',
    busyTimeoutMs: options.busyTimeoutMs ?? 5000,
    pollIntervalMs: options.pollIntervalMs ?? 50,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 2000,
    staleAfterMs: options.staleAfterMs ?? 30_000,
    resultsPrefetch: options.resultsPrefetch ?? 32,
    now: options.now ?? Date.now,
    isProcessAlive: options.isProcessAlive,
  };
  for (const key of [
    'busyTimeoutMs',
    'pollIntervalMs',
    'heartbeatIntervalMs',
    'staleAfterMs',
    'resultsPrefetch',
  ] as const) {
    const value = resolved[key];
    if (!Number.isInteger(value) || value < 1) {
      throw new FjordError('BAD_REQUEST', `embedded broker: ${key} must be a positive integer`);
    }
  }
  if (resolved.staleAfterMs <= 2 * resolved.heartbeatIntervalMs) {
    throw new FjordError(
      'BAD_REQUEST',
      'embedded broker: staleAfterMs must exceed two heartbeat intervals',
    );
  }
  return resolved;
}
