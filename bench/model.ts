/** What the benchmark measures and writes to bench/results/latest.json. */
import type { AgentMemoryResults } from './rows/agent-memory.ts';
import type { AsyncResults } from './rows/async-throughput.ts';
import type { ContainerResults } from './rows/containers.ts';
import type { Plan } from './rows/context.ts';
import type { ColdStartResults, MemoryResults } from './rows/isolates.ts';
import type { FunctionsResults, NodesResults } from './rows/scale.ts';
import type { LatencyResults } from './rows/sync-latency.ts';

/** Invocations (or tasks, or messages) accepted during a load phase and all completed after. */
export interface ThroughputResult {
  /** Completed successfully. */
  completed: number;
  /** Completed with an error (counted, not in `perSecond`). */
  failed: number;
  /** completed / totalS: accepted and completed, sustained. */
  perSecond: number;
  /** Accepted per second while the load ran. */
  acceptedPerSecond: number;
  /** Seconds of load. */
  loadS: number;
  /** Seconds from the first request until the last accepted one completed. */
  totalS: number;
  /** Requests refused or failed during the load (non-202, errors, timeouts). */
  rejected?: number;
  /** Closed-loop HTTP clients of the load (Fjord's rows; an anchor's window is its own). */
  connections?: number;
  /**
   * CPU time of the Fjord processes (every thread, child processes included) from the first
   * request to the last completion, per completed invocation, in ms: unlike a rate, it barely
   * moves with the load of other work on the machine.
   */
  cpuMsPerInvocation?: number;
  /** Completions counted in each second from the start, when sampled. */
  timeline?: number[];
}

/** Latency percentiles of one load run, in ms. */
export interface LatencySummary {
  count: number;
  /** Successful responses per second. */
  perSecond: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  /** Errors, timeouts and non-2xx responses. */
  errors: number;
}

/** One start-up time distribution, in ms. */
export interface DurationSummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  min: number;
  max: number;
}

/** Every figure carries the 1-minute load average taken just before it was measured. */
export type Measured<T> = T & { load1: number };

/** A printed row: our figure next to one anchor, the ratio and the DESIGN.md target. */
export interface TableRow {
  section: string;
  /** What is measured, e.g. "c=1 p50/p99/p99.9". */
  what: string;
  fjord: string;
  anchor: string;
  anchorValue: string;
  /** Fjord / anchor, as printed (e.g. "2.1x"). */
  ratio: string;
  target: string;
  /** Undefined where DESIGN.md sets no target for the row. */
  pass?: boolean;
  /** 1-minute load average when Fjord's figure was taken. */
  load1: number;
}

/** The machine and software a run was taken on. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
  rabbitmq?: string;
  celery?: string;
  workerd?: string;
  gitCommit: string;
  /** Uncommitted changes in the working tree when the run started (others' work in progress). */
  gitDirty: boolean;
  /** os.loadavg() when the run started and ended. */
  loadavgStart: number[];
  loadavgEnd?: number[];
}

/** bench/results/latest.json. */
export interface BenchResults {
  startedAt: string;
  durationS: number;
  /** How the run was started, e.g. `npm run bench -- --quick`. */
  command: string;
  machine: MachineInfo;
  plan: Plan;
  async?: AsyncResults;
  latency?: LatencyResults;
  coldStart?: Measured<ColdStartResults>;
  memory?: MemoryResults;
  containers?: Measured<ContainerResults>;
  agentMemory?: AgentMemoryResults;
  nodes?: NodesResults;
  functions?: FunctionsResults;
  table: TableRow[];
  /** Targets whose measurement failed, with the error. */
  failures: string[];
}
