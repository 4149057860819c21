/**
 * The Executor port: run one invocation of a function version. Adapters: isolate (isolated-vm)
 * and, later, container (dockerode). One conformance suite runs the same functions on both.
 *
 * No isolated-vm or dockerode type crosses this port. Executors keep warm instances keyed by
 * function version and replace any instance that crashed, timed out or ran out of memory.
 */
import type { ErrorData } from './errors.ts';
import type { FunctionSpec, HttpResponseData, InvocationPayload, LogEntry } from './messages.ts';

export interface InvocationContext {
  id: string;
  callId: string;
  attempt: number;
  /**
   * Epoch ms by which the function must have finished. With {@link timeoutMs}, the latest end:
   * a wait for a busy instance past it fails, and no run goes beyond it.
   */
  deadline: number;
  /**
   * The function's timeout, counted from when an instance is free for this invocation: a wait
   * for a busy one does not count against it (only isolate executors honour it; absent, the
   * timeout counts from the call).
   */
  timeoutMs?: number;
  /**
   * Epoch ms past which neither a wait for an instance nor a run may go, however the latest end
   * is moved (a sync caller's patience).
   */
  notAfter?: number;
}

export type ExecutionOutcome = {
  coldStart: boolean;
  durationMs: number;
  /**
   * Epoch ms the instance took the invocation and the run ended, when the executor knows them
   * apart from the call (isolates: a run sent ahead may first wait for a busy isolate).
   */
  ran?: { startedAt: number; endedAt: number };
  cpuMs?: number;
  logs: LogEntry[];
} & ({ ok: true; response?: HttpResponseData; value?: unknown } | { ok: false; error: ErrorData });

/** Fetches a bundle's code by its sha256 (from the store, or from a gateway over HTTP). */
export type BundleSource = (sha: string) => Promise<string>;

export interface ExecutorStats {
  /** Warm instances ready or busy. */
  instances: number;
  coldStarts: number;
  invocations: number;
}

export interface Executor {
  invoke(
    fn: FunctionSpec,
    payload: InvocationPayload,
    ctx: InvocationContext,
  ): Promise<ExecutionOutcome>;
  /**
   * Starts `count` instances of `fn` ahead of invocations (a function version became active), so
   * the first invocation finds one warm. Best effort: resolves even when starting one failed.
   */
  prewarm?(fn: FunctionSpec, count: number): Promise<void>;
  /** Disposes warm instances of `name` except those of `keepVersion`. */
  evict(name: string, keepVersion?: number): Promise<void>;
  stats(): ExecutorStats;
  dispose(): Promise<void>;
}
