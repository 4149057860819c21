import type { InvocationStatus } from '../../core/store.ts';
import type { InvocationSummary } from './wire.ts';

/** Where a status stands within one attempt; final statuses end it. */
const PHASE: Readonly<Record<InvocationStatus, number>> = {
  queued: 0,
  running: 1,
  retrying: 2,
  succeeded: 3,
  failed: 3,
  dead: 3,
  cancelled: 3,
};

function isFinal(status: InvocationStatus): boolean {
  return PHASE[status] === 3;
}

/** How far an invocation has come: later attempts beat earlier ones, later phases earlier ones. */
function progress(summary: InvocationSummary): number {
  return summary.attempts * 10 + PHASE[summary.status];
}

/**
 * Folds an update into what is known of an invocation; used by the gateway's recent list and by
 * the page. Progress reports, results and the page's overview travel separately, so updates can
 * arrive out of order: an older state (a late "running", an overview read before the result)
 * never replaces a newer one, and the result of a last attempt that arrives after its dead
 * letter keeps the invocation dead. A redrive is the one way back: its "queued", or an attempt
 * after the dead one (the redriven run, when its reports overtake the redrive's own event). A
 * cancelled invocation stays cancelled: a result that still arrives is not recorded either.
 */
export function mergeInvocation(
  known: InvocationSummary | undefined,
  update: InvocationSummary,
): InvocationSummary {
  if (known === undefined) return update;
  if (known.status === 'cancelled') return known;
  if (known.status === 'dead') {
    if (update.status === 'queued' || update.attempts > known.attempts) {
      return { ...known, ...update };
    }
    return { ...known, ...update, status: 'dead' };
  }
  if (isFinal(known.status) && !isFinal(update.status)) return known;
  if (!isFinal(update.status) && progress(update) < progress(known)) return known;
  return { ...known, ...update };
}
