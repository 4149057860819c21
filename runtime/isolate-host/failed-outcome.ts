/** The outcome of an invocation that failed before (or without) the function answering. */
import { FjordError } from '../../core/errors.ts';
import type { ExecutionOutcome } from '../../core/executor.ts';

export function failedOutcome(error: unknown, startedAt = performance.now()): ExecutionOutcome {
  return {
    ok: false,
    error: FjordError.from(error).toData(),
    coldStart: false,
    durationMs: performance.now() - startedAt,
    logs: [],
  };
}
