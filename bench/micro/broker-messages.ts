/**
 * The invocations and results the broker micro-benchmarks send: what the gateway and the runtime
 * agent would put on the broker for a trivial event function, so the message sizes are real.
 */
import type { InvocationDelivery } from '../../core/broker.ts';
import type { InvocationMessage, InvocationResult } from '../../core/messages.ts';

/** Invocation number `n` of `fn`; `id` names it (unique within the broker the run uses). */
export function benchMessage(fn: string, id: string, n: number, sync: boolean): InvocationMessage {
  return {
    id,
    callId: `call-${id}`,
    fn: {
      name: fn,
      version: 1,
      bundleSha: 'a'.repeat(64),
      runtime: 'isolate',
      memoryMb: 64,
      timeoutMs: 5000,
      concurrency: 8,
      env: {},
    },
    mode: sync ? 'sync' : 'async',
    payload: { kind: 'event', data: { n } },
    acceptedAt: Date.now(),
    ...(sync ? { replyBy: Date.now() + 5000 } : {}),
  };
}

/** The result a runtime agent would report for `delivery`: succeeded at once. */
export function benchResult(delivery: InvocationDelivery): InvocationResult {
  const now = Date.now();
  const { id, callId, fn } = delivery.message;
  return {
    ...{ id, callId, fn: fn.name, version: fn.version, node: 'bench' },
    ...{ attempt: delivery.attempt, status: 'succeeded', startedAt: now, endedAt: now },
    ...{ coldStart: false, value: { ok: true }, logs: [] },
  };
}
