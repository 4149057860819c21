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

/** A function's runs in flight: how many, and the longest timeout and lowest limit among them. */
interface InFlight {
  runs: number;
  timeoutMs: number;
  concurrency: number;
}

/** Wraps a node's executor and gives each run its latest end (see the header). */
export class LatestEnds implements Executor {
  readonly #inner: Executor;
  /** Per function name, all versions and kinds (invocations, queue batches, sync calls). */
  readonly #inflight = new Map<string, InFlight>();

  constructor(inner: Executor) {
    this.#inner = inner;
  }

  async invoke(
    fn: FunctionSpec,
    payload: InvocationPayload,
    ctx: InvocationContext,
  ): Promise<ExecutionOutcome> {
    let flight = this.#inflight.get(fn.name);
    if (flight === undefined) {
      flight = { runs: 0, timeoutMs: fn.timeoutMs, concurrency: fn.concurrency };
      this.#inflight.set(fn.name, flight);
    }
    // The runs in front may be of another version, with a longer timeout or a lower limit.
    flight.timeoutMs = Math.max(flight.timeoutMs, fn.timeoutMs);
    flight.concurrency = Math.min(flight.concurrency, fn.concurrency);
    const context = latestEnd(ctx, flight.runs, flight.concurrency, flight.timeoutMs);
    flight.runs += 1;
    try {
      return await this.#inner.invoke(fn, payload, context);
    } finally {
      flight.runs -= 1;
      if (flight.runs === 0) this.#inflight.delete(fn.name);
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
 * which run at once, each within `timeoutMs` (the longest among them): its deadline moved by the
 * timeouts of the runs it may wait for, never past {@link InvocationContext.notAfter}. Contexts
 * without a `timeoutMs` of their own (containers) are left as they are.
 */
export function latestEnd(
  ctx: InvocationContext,
  before: number,
  concurrency: number,
  timeoutMs: number,
): InvocationContext {
  const waits = before - Math.max(1, concurrency) + 1;
  if (ctx.timeoutMs === undefined || waits <= 0) return ctx;
  const rounds = Math.ceil(waits / Math.max(1, concurrency));
  const deadline = Math.min(ctx.deadline + rounds * timeoutMs, ctx.notAfter ?? Infinity);
  return deadline === ctx.deadline ? ctx : { ...ctx, deadline };
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

/**
 * Whether a run was sent ahead of busy isolates: its latest end lies beyond its own timeout from
 * `now`, moved there by the runs in front of it ({@link latestEnd}). Such a run waits for an
 * isolate before it starts; any other is taken to start at once.
 */
export function sentAhead(ctx: InvocationContext, now: number): boolean {
  return ctx.timeoutMs !== undefined && ctx.deadline > now + ctx.timeoutMs;
}
