import type { InvocationResult, ResultEvent } from '../core/messages.ts';
import type { Store } from '../core/store.ts';
import type { EventHub } from './events.ts';
import { resultEvent } from './events-summaries.ts';
import type { GatewayMetrics } from './metrics.ts';
import { RecentIds } from './recent-ids.ts';

/**
 * Records a burst of results: from the results queue (`queue`, the default), or a sync result
 * from its reply (`reply`, gateway/invoker.ts).
 */
export type ResultRecorder = (
  burst: readonly ResultEvent[],
  from?: 'queue' | 'reply',
) => Promise<void>;

/**
 * How long a gateway remembers the sync results it counted: until their records are surely
 * written (the sync record batch waits 10 ms). A copy that comes later finds the record in the
 * store instead, so forgetting sooner costs a store read, never a second count.
 */
const COUNTED_SYNC_MS = 5_000;

/**
 * Writes the progress reports and results nodes publish into the store. It is the handler of
 * `broker.consumeResultBursts`: a message (one event, or a node's burst of them) is acked when
 * this resolves, so a store failure propagates and the broker delivers the whole message again.
 * Both store writes are idempotent, which makes that redelivery (and at-least-once delivery in
 * general) harmless.
 *
 * The results of a burst are recorded in one store transaction (store.recordResults), in the
 * order they came: a `started` report before them is written first, one after them after.
 *
 * Sync invocations have no record until their result arrives (store.recordResult creates it);
 * an async result that overtakes its acceptance record is merged by store.createInvocation.
 *
 * A sync result may arrive twice, from its reply and as a copy on the results queue (the node
 * sends one when the reply may have come too late): it is counted in fjord_invocations_total
 * once, by whichever comes first. This gateway remembers which sync results it counted; a copy
 * it does not remember is counted only when the store had no record of it before. With several
 * gateways, a copy taken by one before another has written the record from the reply (within
 * about 10 ms of the reply) is counted by both: only replies within a second of their deadline
 * have a copy, so this is rare, and it touches the metric only, never the record.
 */
export function createResultRecorder(
  store: Store,
  metrics: GatewayMetrics,
  events: EventHub,
  now: () => number = Date.now,
): ResultRecorder {
  const counted = new RecentIds(COUNTED_SYNC_MS, now);
  return async (burst, from = 'queue') => {
    const recordedBefore =
      from === 'queue' ? await syncCopiesRecorded(store, burst, counted) : new Set<string>();
    let results: InvocationResult[] = [];
    const recordPending = async (): Promise<void> => {
      if (results.length === 0) return;
      const recording = results;
      results = [];
      await store.recordResults(recording);
    };
    for (const event of burst) {
      if (event.type === 'finished') {
        results.push(event.result);
        continue;
      }
      await recordPending();
      await store.markStarted(event.id, event.node, event.attempt, event.startedAt);
    }
    await recordPending();
    // Counted and shown once all of it is recorded: a burst that failed midway counts no event.
    // With no dashboard open, no summary is built.
    const shown = events.subscribers > 0;
    for (const event of burst) {
      if (event.type === 'finished') {
        const { result } = event;
        if (from === 'queue' && event.sync !== true) metrics.finished(result);
        else if (!counted.has(result.id) && !recordedBefore.has(result.id)) {
          counted.add(result.id);
          metrics.finished(result);
        }
      }
      if (shown) events.publish(resultEvent(event));
    }
  };
}

/** The sync copies in `burst` that this gateway did not count but the store has a record of. */
async function syncCopiesRecorded(
  store: Store,
  burst: readonly ResultEvent[],
  counted: RecentIds,
): Promise<Set<string>> {
  const recorded = new Set<string>();
  for (const event of burst) {
    if (event.type !== 'finished' || event.sync !== true || counted.has(event.result.id)) continue;
    if ((await store.getInvocation(event.result.id)) !== undefined) recorded.add(event.result.id);
  }
  return recorded;
}
