/** What every row of the benchmark gets from bench/run.ts. */
import { join } from 'node:path';
import type { Children } from '../support/child.ts';

export interface Plan {
  quick: boolean;
  /** Seconds of load per async-throughput target. */
  asyncS: number;
  /** Load before each async measurement, not counted: JIT, isolates and pools warm up. */
  asyncWarmupS: number;
  /**
   * Closed-loop HTTP clients of the async-throughput rows, one measurement each (after one
   * warm-up); the row's figure is the highest. The first is the split deployment's too.
   */
  asyncConnections: number[];
  /** Seconds of measured load per latency target and concurrency, after a warm-up. */
  latencyS: number;
  latencyWarmupS: number;
  concurrencies: number[];
  coldStartSamples: number;
  memoryIsolates: number;
  /** Container cold starts (and `docker run` anchors) sampled. */
  containerColdSamples: number;
  /** Sequential invocations of one warm container. */
  containerWarmSamples: number;
  /** Warm idle containers whose memory is read. */
  containerMemory: number;
  /** Invocations of a warm function under a steady load, counting cold starts. */
  containerSteady: number;
  /** Functions deployed and warmed once for the agent's RSS. */
  agentFunctions: number;
  /** Deployed functions at which sync latency is measured (row 5). */
  functionCounts: number[];
}

export interface BenchContext {
  plan: Plan;
  /** RabbitMQ URL of the benchmark's own vhost. */
  amqpUrl: string;
  /** A scratch directory, removed at the end. */
  workDir: string;
  /**
   * A profiling run: only this Fjord target runs (e.g. 'async-rabbitmq'), under --cpu-prof, with
   * its profile written to `profileDir`; no anchors.
   */
  profile?: string;
  profileDir: string;
  /** Every child process of the run, so an interrupted run can stop them. */
  children: Children;
  /** Progress for the person watching (stderr). */
  say(message: string): void;
  /**
   * Runs one target's measurement; a failure is reported and recorded, and the run goes on with
   * the next target (its figure is missing from the table, and the run exits non-zero).
   */
  attempt<T>(what: string, measure: () => Promise<T>): Promise<T | undefined>;
}

/** A file for a child's stderr, kept with the scratch directory. */
export function logFile(ctx: BenchContext, name: string): string {
  return join(ctx.workDir, `${name}.log`);
}
