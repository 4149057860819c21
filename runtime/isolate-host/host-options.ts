/** Options of the {@link IsolateHostExecutor} and their defaults. */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { BundleSource } from '../../core/executor.ts';
import type { Logger } from '../../core/logger.ts';
import type { LiveLogEvent } from '../isolate/isolate-executor.ts';
import { DEFAULT_PREWARM_BUDGET } from '../isolate/executor-options.ts';
import type { QueuePublisher } from '../isolate/host-queue.ts';
import type { HostedExecutorOptions } from './host-protocol.ts';

export interface IsolateHostOptions {
  /** Fetches bundle code by sha256, in this (the parent) process; children ask for it over IPC. */
  loadCode: BundleSource;
  /**
   * Host processes. Default min(cores, 2): two processes served about 25% more parallel warm
   * invocations than one on 2 cores, and a crash then stops half of the warm isolates, not all.
   */
  processes?: number;
  /**
   * Options of the IsolateExecutor inside each process (only what survives IPC). Its
   * `prewarmBudget` is the node's: each process gets its share (versions stick to one process).
   */
  executor?: HostedExecutorOptions;
  /** Sees every console line as it is written, forwarded from the host processes. */
  onLog?: (event: LiveLogEvent) => void;
  /** Publishes ctx.queues sends of fetch and event handlers, asked for by the host processes. */
  publishQueue?: QueuePublisher;
  logger?: Logger;
  /** First restart delay after a process died before it was ready. Default 100 ms. */
  restartBackoffMs?: number;
  /** Longest restart delay. Default 10 s. */
  maxRestartBackoffMs?: number;
  /**
   * Failed starts in a row after which invocations for that process fail at once with
   * ISOLATE_HOST_UNAVAILABLE instead of waiting for the next restart. Default 3.
   */
  crashLoopAfter?: number;
  /**
   * A process that has not answered an invocation this long after its deadline is wedged
   * (the isolate's own deadline handling runs in it) and is killed. Default 5 s.
   */
  unresponsiveGraceMs?: number;
  /** How long dispose waits for a process to finish its work before killing it. Default 30 s. */
  disposeTimeoutMs?: number;
  /** The child's entry module; tests substitute one that fails on purpose. */
  entry?: string;
}

export type ResolvedHostOptions = Required<
  Omit<IsolateHostOptions, 'onLog' | 'logger' | 'executor' | 'publishQueue'>
> &
  Pick<IsolateHostOptions, 'onLog' | 'logger' | 'publishQueue'> & {
    executor: HostedExecutorOptions;
  };

export const DEFAULT_ENTRY = fileURLToPath(new URL('./host-child.ts', import.meta.url));

export function resolveHostOptions(options: IsolateHostOptions): ResolvedHostOptions {
  const processes = Math.max(
    1,
    Math.floor(options.processes ?? Math.min(availableParallelism(), 2)),
  );
  const budget = options.executor?.prewarmBudget ?? DEFAULT_PREWARM_BUDGET;
  return {
    ...options,
    processes,
    executor: { ...options.executor, prewarmBudget: Math.ceil(budget / processes) },
    restartBackoffMs: options.restartBackoffMs ?? 100,
    maxRestartBackoffMs: options.maxRestartBackoffMs ?? 10_000,
    crashLoopAfter: options.crashLoopAfter ?? 3,
    unresponsiveGraceMs: options.unresponsiveGraceMs ?? 5_000,
    disposeTimeoutMs: options.disposeTimeoutMs ?? 30_000,
    entry: options.entry ?? DEFAULT_ENTRY,
  };
}
