import { FjordError, type ErrorData } from '../core/errors.ts';

/** How far below its timeout a run's time may start and still count as the whole timeout. */
const TIMEOUT_SLACK_MS = 50;

/**
 * INVOCATION_TIMEOUT for a run stopped at its deadline, in either runtime. `budgetMs` is the time
 * the run had when it started: its `timeoutMs`, less a few ms of dispatch (then the message names
 * the timeout the user set), or less when a sync caller's deadline or its latest end came first.
 */
export function timeoutError(budgetMs: number, timeoutMs: number): ErrorData {
  const budget = Math.max(0, Math.round(budgetMs));
  const message =
    budget >= timeoutMs - TIMEOUT_SLACK_MS
      ? `function did not finish within its timeout (timeoutMs ${timeoutMs})`
      : `function did not finish within the ${budget} ms it had left (of its timeoutMs ${timeoutMs})`;
  return new FjordError('INVOCATION_TIMEOUT', message).toData();
}
