import type { InvocationResult, ResultEvent } from '../core/messages.ts';
import type { Store } from '../core/store.ts';
import type { EventHub } from './events.ts';
import { resultEvent } from './events-summaries.ts';
import type { GatewayMetrics } from './metrics.ts';

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
 */
export function createResultRecorder(
  store: Store,
  metrics: GatewayMetrics,
  events: EventHub,
): (burst: readonly ResultEvent[]) => Promise<void> {
  return async (burst) => {
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
    for (const event of burst) {
      if (event.type === 'finished') metrics.finished(event.result);
      events.publish(resultEvent(event));
    }
  };
}
