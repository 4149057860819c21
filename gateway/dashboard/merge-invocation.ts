import { FINAL_STATUSES } from '../../core/store.ts';
import type { InvocationSummary } from './wire.ts';

/**
 * Folds an update into what is known of an invocation; used by the gateway's recent list and by
 * the page. Progress reports and results travel separately, so updates can arrive out of order:
 * a late "queued" or "running" never turns a finished invocation back, and the result of a last
 * attempt that arrives after its dead letter keeps the invocation dead. A redrive (queued again
 * after dead) is the one way back.
 */
export function mergeInvocation(
  known: InvocationSummary | undefined,
  update: InvocationSummary,
): InvocationSummary {
  if (known === undefined) return update;
  if (known.status === 'dead') {
    if (update.status === 'queued') return { ...known, ...update };
    return { ...known, ...update, status: 'dead' };
  }
  if (FINAL_STATUSES.has(known.status) && !FINAL_STATUSES.has(update.status)) return known;
  return { ...known, ...update };
}
