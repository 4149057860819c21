/**
 * Cold starts under a steady load: once a function version is warm (its first `concurrency`
 * invocations, at once, may start instances), a closed loop of `concurrency` callers invokes it
 * `count` more times; every invocation that still reports `coldStart` counts. DESIGN.md expects
 * none: warm instances are reused, and prewarming hides the rest.
 */
import type { Executor } from '../../core/executor.ts';
import type { FunctionSpec, InvocationPayload } from '../../core/messages.ts';
import { context } from './executor-fixture.ts';

export interface SteadyLoadResult {
  invocations: number;
  coldStarts: number;
  /** Concurrent callers, as many as the function's concurrency. */
  concurrency: number;
}

export async function steadyLoad(
  executor: Executor,
  spec: FunctionSpec,
  payload: InvocationPayload,
  count: number,
  budgetMs?: number,
): Promise<SteadyLoadResult> {
  const concurrency = spec.concurrency;
  const once = async (): Promise<boolean> => {
    const outcome = await executor.invoke(spec, payload, context(budgetMs));
    if (!outcome.ok) throw new Error(`invocation failed: ${JSON.stringify(outcome.error)}`);
    return outcome.coldStart;
  };
  await Promise.all(Array.from({ length: concurrency }, once));
  let left = count;
  let coldStarts = 0;
  const caller = async (): Promise<void> => {
    while (left > 0) {
      left -= 1;
      if (await once()) coldStarts += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  return { invocations: count, coldStarts, concurrency };
}
