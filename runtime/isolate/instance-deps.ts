/** What every isolate of an executor shares, built from the executor's options. */
import type { Logger } from '../../core/logger.ts';
import { BlankIsolates } from './blank-isolates.ts';
import type { IsolateBundleCache } from './bundle-cache.ts';
import type { EgressLookup } from './egress-addresses.ts';
import type { ResolvedOptions } from './executor-options.ts';
import type { HostCrypto } from './host-crypto.ts';
import type { FetchLimits } from './host-fetch.ts';
import type { QueuePublisher } from './host-queue.ts';
import type { Prelude } from './prelude.ts';
import type { PreludeConfig } from './protocol.ts';

/** What an isolate instance is made with: shared by every instance of an executor. */
export interface InstanceDeps {
  prelude: Prelude;
  /** Isolates booted ahead from the prelude; a cold start takes one when it can. */
  blanks?: BlankIsolates;
  bundles: IsolateBundleCache;
  config: PreludeConfig;
  /** Runs crypto.subtle for every isolate (it keeps no state). */
  crypto: HostCrypto;
  fetchLimits: FetchLimits;
  /** Resolves host names for fetch; the node's resolver by default. */
  lookup?: EgressLookup;
  /** Publishes ctx.queues sends of fetch and event handlers. */
  publishQueue?: QueuePublisher;
  logger?: Logger;
}

/** Blank isolates are made for the manifest's default memoryMb until a cold start asks for another. */
const BLANK_ISOLATE_MEMORY_MB = 128;

/** The limits the prelude enforces inside each isolate. */
export function preludeConfig(options: ResolvedOptions): PreludeConfig {
  return {
    logLimitBytes: options.logLimitBytes,
    maxResponseBytes: options.maxResponseBytes,
    maxTimers: options.maxTimers,
  };
}

/** The executor's blank isolates, or undefined when `blankIsolates` is 0. */
export function blankIsolatesFor(
  prelude: Prelude,
  options: ResolvedOptions,
): BlankIsolates | undefined {
  if (options.blankIsolates === 0) return undefined;
  return new BlankIsolates(prelude, {
    count: options.blankIsolates,
    memoryMb: BLANK_ISOLATE_MEMORY_MB,
    config: preludeConfig(options),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
}

export function instanceDeps(
  options: ResolvedOptions,
  shared: Pick<InstanceDeps, 'prelude' | 'blanks' | 'bundles' | 'crypto'>,
): InstanceDeps {
  return {
    ...shared,
    config: preludeConfig(options),
    fetchLimits: {
      maxRequests: options.maxFetches,
      maxResponseBytes: options.maxFetchResponseBytes,
      maxRedirects: 20,
    },
    ...(options.lookup === undefined ? {} : { lookup: options.lookup }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.publishQueue === undefined ? {} : { publishQueue: options.publishQueue }),
  };
}
