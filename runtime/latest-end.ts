/**
 * How long a run may wait for a free isolate, on a node that hands runs to its executor ahead of
 * free isolates (runs ahead, runtime/delivery-window.ts) or runs queue batches of a function
 * beside its invocations: both then wait in the function's pool for one of its `concurrency`
 * isolates. A run whose context has a `timeoutMs` counts that timeout from when its isolate is
 * free (runtime/isolate/isolate-executor.ts); its `deadline` is then the latest end, which bounds
 * the wait and the host process watchdog (runtime/isolate-host/wedge-sweep.ts).
 *
 * The latest end grows with the runs actually in front: a run that finds `k` runs of its function
 * in flight beyond `concurrency - 1` waits for `k` of them to end, `concurrency` at a time, each
 * within its timeout, so at most `ceil(k / concurrency)` timeouts. A run with a free isolate keeps
 * its deadline as it is, so a wedged host process is found as soon as before.
 */
import type {
  ExecutionOutcome,
  Executor,
  ExecutorStats,
  InvocationContext,
} from '../core/executor.ts';
import type { FunctionSpec, InvocationPayload } from '../core/messages.ts';

/** Wraps a node's executor and gives each run its latest end (see the header). */
export class LatestEnds implements Executor {
  readonly #inner: Executor;
  /** Runs in flight per function name, all versions and kinds (invocations, queue batches). */
  readonly #inflight = new Map<string, number>();

  constructor(inner: Executor) {
    this.#inner = inner;
  }

  async invoke(
    fn: FunctionSpec,
    payload: InvocationPayload,
    ctx: InvocationContext,
  ): Promise<ExecutionOutcome> {
    const before = this.#inflight.get(fn.name) ?? 0;
    this.#inflight.set(fn.name, before + 1);
    try {
      return await this.#inner.invoke(fn, payload, latestEnd(ctx, before, fn.concurrency));
    } finally {
      const left = (this.#inflight.get(fn.name) ?? 1) - 1;
      if (left === 0) this.#inflight.delete(fn.name);
      else this.#inflight.set(fn.name, left);
    }
  }

  async prewarm(fn: FunctionSpec, count: number): Promise<void> {
    await this.#inner.prewarm?.(fn, count);
  }

  evict(name: string, keepVersion?: number): Promise<void> {
    return this.#inner.evict(name, keepVersion);
  }

  stats(): ExecutorStats {
    return this.#inner.stats();
  }

  dispose(): Promise<void> {
    return this.#inner.dispose();
  }
}

/**
 * The context of a run that finds `before` runs of its function in flight, `concurrency` of
 * which run at once: its deadline moved by the timeouts of the runs it may wait for. Contexts
 * without a `timeoutMs` (a sync caller's patience, containers) are left as they are.
 */
export function latestEnd(
  ctx: InvocationContext,
  before: number,
  concurrency: number,
): InvocationContext {
  const { timeoutMs } = ctx;
  const waits = before - Math.max(1, concurrency) + 1;
  if (timeoutMs === undefined || waits <= 0) return ctx;
  const rounds = Math.ceil(waits / Math.max(1, concurrency));
  return { ...ctx, deadline: ctx.deadline + rounds * timeoutMs };
}

/**
 * The context of a run that got its isolate `now`: with a timeout of its own
 * ({@link InvocationContext.timeoutMs}), its deadline counts from now, within the latest end.
 */
export function runContext(ctx: InvocationContext, now: number): InvocationContext {
  if (ctx.timeoutMs === undefined) return ctx;
  const deadline = Math.min(now + ctx.timeoutMs, ctx.deadline);
  return deadline === ctx.deadline ? ctx : { ...ctx, deadline };
}
