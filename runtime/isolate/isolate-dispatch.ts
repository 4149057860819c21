/**
 * The calls into an isolate's runtime for one invocation: the dispatch of its payload and the
 * wait for its ctx.waitUntil work. Each reply says how many log lines the isolate sent, and a
 * call resolves only once those have arrived (see {@link LogArrivals}), so the invocation's log
 * is complete when it ends.
 */
import type { InvocationContext } from '../../core/executor.ts';
import type { InvocationPayload } from '../../core/messages.ts';
import { decodeDispatch, toWireRequest, type Dispatched } from './decode-reply.ts';
import type { RuntimeRefs } from './host-bridge.ts';
import type { LogArrivals } from './log-arrivals.ts';
import type { WireContextArgs } from './protocol.ts';

/** Runs `payload` in the isolate behind `refs`; rejects when the isolate failed underneath it. */
export async function dispatchInIsolate(
  refs: RuntimeRefs,
  arrivals: LogArrivals,
  payload: InvocationPayload,
  ctx: InvocationContext,
  generation: number,
  maxResponseBytes: number,
): Promise<Dispatched> {
  const wire: WireContextArgs = [generation, ctx.id, ctx.callId, ctx.attempt, ctx.deadline];
  if (payload.kind === 'http') {
    const request = toWireRequest(payload.request);
    const reply: unknown = await refs.dispatchHttp.apply(undefined, [request, ...wire], {
      arguments: { copy: true },
      result: { promise: true, copy: true },
    });
    await arrivals.until(sentLines(reply));
    return decodeDispatch('http', reply, maxResponseBytes);
  }
  // Strings and numbers only: they cross as they are, without the structured clone of `copy`.
  const event = JSON.stringify(payload.data) ?? 'null';
  const reply: unknown = await refs.dispatchEvent.apply(undefined, [event, ...wire], {
    result: { promise: true, copy: true },
  });
  await arrivals.until(sentLines(reply));
  return decodeDispatch('event', reply, maxResponseBytes);
}

/** Resolves once invocation `generation`'s ctx.waitUntil work has settled in the isolate. */
export async function drainIsolate(
  refs: RuntimeRefs,
  arrivals: LogArrivals,
  generation: number,
): Promise<void> {
  const sent: unknown = await refs.drain.apply(undefined, [generation], {
    result: { promise: true },
  });
  await arrivals.until(typeof sent === 'number' ? sent : 0);
}

/** How many log lines a reply says were sent (a malformed count waits for nothing). */
function sentLines(reply: unknown): number {
  const count = (reply as { logs?: unknown } | null)?.logs;
  return typeof count === 'number' && Number.isInteger(count) && count > 0 ? count : 0;
}
