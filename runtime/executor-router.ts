/**
 * An Executor that hands each invocation to the executor of the function's runtime, so one node
 * runs isolate and container functions side by side. A runtime without an executor fails its
 * invocations with NO_CAPACITY (the agent does not consume such functions in the first place).
 */
import { FjordError } from '../core/errors.ts';
import type {
  ExecutionOutcome,
  Executor,
  ExecutorStats,
  InvocationContext,
} from '../core/executor.ts';
import type { FunctionSpec, InvocationPayload } from '../core/messages.ts';

export type RuntimeExecutors = Partial<Record<FunctionSpec['runtime'], Executor>>;

export class ExecutorRouter implements Executor {
  readonly #executors: RuntimeExecutors;

  constructor(executors: RuntimeExecutors) {
    this.#executors = executors;
  }

  /** The runtimes this router can run, for the agent's `runtimes` option. */
  get runtimes(): FunctionSpec['runtime'][] {
    return (Object.keys(this.#executors) as FunctionSpec['runtime'][]).filter(
      (runtime) => this.#executors[runtime] !== undefined,
    );
  }

  async invoke(
    fn: FunctionSpec,
    payload: InvocationPayload,
    ctx: InvocationContext,
  ): Promise<ExecutionOutcome> {
    const executor = this.#executors[fn.runtime];
    if (executor === undefined) {
      const error = new FjordError(
        'NO_CAPACITY',
        `this node has no ${fn.runtime} runtime`,
      ).toData();
      return { ok: false, error, coldStart: false, durationMs: 0, logs: [] };
    }
    return executor.invoke(fn, payload, ctx);
  }

  async prewarm(fn: FunctionSpec, count: number): Promise<void> {
    await this.#executors[fn.runtime]?.prewarm?.(fn, count);
  }

  async evict(name: string, keepVersion?: number): Promise<void> {
    await Promise.all(this.#all().map((executor) => executor.evict(name, keepVersion)));
  }

  stats(): ExecutorStats {
    const total: ExecutorStats = { instances: 0, coldStarts: 0, invocations: 0 };
    for (const executor of this.#all()) {
      const stats = executor.stats();
      total.instances += stats.instances;
      total.coldStarts += stats.coldStarts;
      total.invocations += stats.invocations;
    }
    return total;
  }

  async dispose(): Promise<void> {
    await Promise.all(this.#all().map((executor) => executor.dispose()));
  }

  #all(): Executor[] {
    return Object.values(this.#executors).filter((e): e is Executor => e !== undefined);
  }
}
