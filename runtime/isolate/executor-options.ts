/** Options of the {@link IsolateExecutor} and their defaults. */
import type { BundleSource } from '../../core/executor.ts';
import type { Logger } from '../../core/logger.ts';
import type { LogEntry } from '../../core/messages.ts';
import type { EgressLookup } from './egress-addresses.ts';
import type { QueuePublisher } from './host-queue.ts';
import type { PreludeMode } from './prelude.ts';

/** One console line, as it happens (before the invocation's result carries it too). */
export interface LiveLogEvent {
  fn: string;
  version: number;
  invocationId: string;
  entry: LogEntry;
}

export interface IsolateExecutorOptions {
  /** Fetches bundle code by sha256; each bundle is fetched once and cached. */
  loadCode: BundleSource;
  /** Names this node in the executor's own log lines. */
  nodeId?: string;
  /** Caps isolates per function version below the function's own `concurrency`. */
  maxIsolatesPerFunction?: number;
  /**
   * Function versions that may keep idle isolates (and their prewarm floor): the most recently
   * invoked or prewarmed ones. The others keep none, so memory does not grow with the number of
   * versions followed (an isolate costs about 2.7 MB). Default 32.
   */
  prewarmBudget?: number;
  /**
   * Blank isolates (prelude, context and host bridge, no function) kept booted so a new
   * version's cold start only loads its bundle; each is used once, by one version, and costs
   * about 2 MB. Only versions with the default `memoryMb` (128) take them. Default 2; 0: none.
   */
  blankIsolates?: number;
  /** Idle isolates are disposed after this long. Default 5 minutes. */
  idleTimeoutMs?: number;
  /** Console output kept per invocation; the rest is dropped with a marker. Default 256 KiB. */
  logLimitBytes?: number;
  /** Largest response body (or JSON event result) a function may return. Default 10 MiB. */
  maxResponseBytes?: number;
  /** Pending timers one invocation may hold. Default 1,000. */
  maxTimers?: number;
  /** Outgoing requests (redirect hops included) one invocation may make. Default 50. */
  maxFetches?: number;
  /** Largest response body one fetch may receive. Default 10 MiB. */
  maxFetchResponseBytes?: number;
  /** Resolves host names for functions' fetches; the node's resolver by default. */
  lookup?: EgressLookup;
  /** Bundles (and their code caches) kept in memory. Default 64. */
  maxCachedBundles?: number;
  /** How isolates get the Web APIs: from a heap snapshot (default) or by running the prelude. */
  prelude?: PreludeMode;
  /** Sees every console line as it is written, e.g. for live log following. */
  onLog?: (event: LiveLogEvent) => void;
  /** Publishes fetch and event handlers' ctx.queues sends; without it they fail. */
  publishQueue?: QueuePublisher;
  logger?: Logger;
}

/**
 * Sized so a node following 1,000 idle versions stays within a few hundred MB (a kept version
 * holds about two isolates after an invocation); a node with more versions active at once than
 * this pays a cold start (about 7.5 ms) on the least recently used ones.
 */
export const DEFAULT_PREWARM_BUDGET = 32;

/** Enough for a burst of a few deploys; each booted one is replaced after it is taken. */
export const DEFAULT_BLANK_ISOLATES = 2;

type Optional =
  'nodeId' | 'maxIsolatesPerFunction' | 'onLog' | 'logger' | 'lookup' | 'publishQueue';

export type ResolvedOptions = Required<Omit<IsolateExecutorOptions, Optional>> &
  Pick<IsolateExecutorOptions, Optional>;

export function resolveOptions(options: IsolateExecutorOptions): ResolvedOptions {
  return {
    ...options,
    prewarmBudget: Math.max(1, Math.floor(options.prewarmBudget ?? DEFAULT_PREWARM_BUDGET)),
    blankIsolates: Math.max(0, Math.floor(options.blankIsolates ?? DEFAULT_BLANK_ISOLATES)),
    idleTimeoutMs: options.idleTimeoutMs ?? 5 * 60_000,
    logLimitBytes: options.logLimitBytes ?? 256 * 1024,
    maxResponseBytes: options.maxResponseBytes ?? 10 * 1024 * 1024,
    maxTimers: options.maxTimers ?? 1000,
    maxFetches: options.maxFetches ?? 50,
    maxFetchResponseBytes: options.maxFetchResponseBytes ?? 10 * 1024 * 1024,
    maxCachedBundles: options.maxCachedBundles ?? 64,
    prelude: options.prelude ?? 'snapshot',
  };
}
