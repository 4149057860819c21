import type { ExecutionOutcome } from '../core/executor.ts';
import type { QueueBatchOutcome } from '../core/messages.ts';

function isQueueOutcome(value: unknown): value is QueueBatchOutcome {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { type?: unknown }).type === 'queue-outcome' &&
    Array.isArray((value as { decisions?: unknown }).decisions)
  );
}

/**
 * A dead-lettered queue message that was redriven runs as an ordinary async invocation (a
 * one-message batch), whose outcome is judged here as the queue consumer would: failed when the
 * handler threw or asked for a retry (so the invocation's retry policy applies), succeeded
 * otherwise. Sends made with ctx.queues on that path are not published (the agent's invocation
 * path has no queue publisher); a warning in the logs says so.
 */
export function judgeRedrivenBatch(outcome: ExecutionOutcome): ExecutionOutcome {
  if (!outcome.ok || !isQueueOutcome(outcome.value)) return outcome;
  const { decisions, error, sends } = outcome.value;
  const logs =
    sends === undefined || sends.length === 0
      ? outcome.logs
      : [
          ...outcome.logs,
          {
            ts: Date.now(),
            level: 'warn' as const,
            message: `${sends.length} ctx.queues send(s) of a redriven message were not published`,
          },
        ];
  const base = {
    coldStart: outcome.coldStart,
    durationMs: outcome.durationMs,
    logs,
    ...(outcome.cpuMs === undefined ? {} : { cpuMs: outcome.cpuMs }),
    ...(outcome.ran === undefined ? {} : { ran: outcome.ran }),
  };
  if (error !== undefined) return { ...base, ok: false, error };
  if (decisions.some((d) => d?.action === 'retry')) {
    return {
      ...base,
      ok: false,
      error: { code: 'FUNCTION_ERROR', message: 'the function asked for a retry (msg.retry())' },
    };
  }
  return { ...base, ok: true, value: { messages: decisions.length, acked: decisions.length } };
}
