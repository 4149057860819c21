import type { InvocationDelivery } from '../core/broker.ts';
import type { ExecutionOutcome, Executor, InvocationContext } from '../core/executor.ts';
import type { InvocationMessage, InvocationResult } from '../core/messages.ts';
import { followUp } from '../core/retry-policy.ts';
import { judgeRedrivenBatch } from './queue-redrive.ts';

/** The deadline of one attempt: the function's timeout, and never past a sync caller's patience. */
export function attemptDeadline(message: InvocationMessage, now: number): number {
  const byTimeout = now + message.fn.timeoutMs;
  return message.replyBy === undefined ? byTimeout : Math.min(byTimeout, message.replyBy);
}

/**
 * What an attempt tells the executor about its time. An isolate run's timeout counts from when
 * its isolate is free ({@link InvocationContext.timeoutMs}): with runs sent ahead of free
 * isolates it may first wait behind others of its function, and the node's executor moves its
 * deadline by their timeouts (runtime/latest-end.ts), never past a sync caller's patience
 * ({@link InvocationContext.notAfter}). Other runtimes take no run ahead: their timeout counts
 * from now.
 */
export function attemptContext(
  message: InvocationMessage,
  attempt: number,
  now: number,
): InvocationContext {
  const { id, callId, fn, replyBy } = message;
  const deadline = attemptDeadline(message, now);
  if (fn.runtime !== 'isolate') return { id, callId, attempt, deadline };
  const ctx: InvocationContext = { id, callId, attempt, deadline, timeoutMs: fn.timeoutMs };
  if (replyBy !== undefined) ctx.notAfter = replyBy;
  return ctx;
}

/** True for a sync invocation whose caller has already given up: running it helps nobody. */
export function isExpired(message: InvocationMessage, now: number): boolean {
  return message.replyBy !== undefined && now >= message.replyBy;
}

/**
 * How long before a sync caller's deadline a reply may already come too late: the gateway gives
 * up at the deadline and then records nothing. Covers the reply's way back and a little clock
 * skew between the gateway's host and the node's.
 */
export const LATE_REPLY_MARGIN_MS = 1000;

/**
 * True when a sync caller may not get the reply sent `now`, so its gateway may never record the
 * result: the node then publishes it on the results queue as well.
 */
export function replyMayBeLate(message: InvocationMessage, now: number): boolean {
  return message.replyBy !== undefined && now >= message.replyBy - LATE_REPLY_MARGIN_MS;
}

/**
 * Runs one delivery on the executor and shapes the outcome into a result for the broker; a
 * failed async attempt carries its follow-up (core/retry-policy.ts).
 */
export async function runInvocation(
  delivery: InvocationDelivery,
  executor: Executor,
  nodeId: string,
): Promise<InvocationResult> {
  const { message, attempt } = delivery;
  const startedAt = Date.now();
  const outcome = judgeRedrivenBatch(
    await executor.invoke(message.fn, message.payload, attemptContext(message, attempt, startedAt)),
  );
  // The run's own times when the executor knows them: a run sent ahead waited before it started.
  const ran = outcome.ran ?? { startedAt, endedAt: Date.now() };
  return toResult(message, outcome, { nodeId, attempt, ...ran });
}

function toResult(
  message: InvocationMessage,
  outcome: ExecutionOutcome,
  meta: { nodeId: string; attempt: number; startedAt: number; endedAt: number },
): InvocationResult {
  const base = {
    id: message.id,
    callId: message.callId,
    fn: message.fn.name,
    version: message.fn.version,
    node: meta.nodeId,
    attempt: meta.attempt,
    startedAt: meta.startedAt,
    endedAt: meta.endedAt,
    coldStart: outcome.coldStart,
    logs: outcome.logs,
    ...(outcome.cpuMs === undefined ? {} : { cpuMs: outcome.cpuMs }),
  };
  if (!outcome.ok) {
    // A failed async attempt says what comes next: a retry when due, or the dead letters.
    const next = followUp(message, meta.attempt, outcome.error, meta.endedAt);
    return { ...base, status: 'failed', error: outcome.error, ...(next ? { next } : {}) };
  }
  return {
    ...base,
    status: 'succeeded',
    ...(outcome.response === undefined ? {} : { response: outcome.response }),
    ...(outcome.value === undefined ? {} : { value: outcome.value }),
  };
}
