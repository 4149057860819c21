import type { ResultEvent } from '../core/messages.ts';
import type { Store } from '../core/store.ts';
import type { EventHub } from './events.ts';
import { resultEvent } from './events-summaries.ts';
import type { GatewayMetrics } from './metrics.ts';

/**
 * Writes the progress reports and results nodes publish into the store. It is the handler of
 * `broker.consumeResults`: an event is acked when this resolves, so a store failure propagates
 * and the broker delivers the event again. Both store writes are idempotent, which makes that
 * redelivery (and at-least-once delivery in general) harmless.
 *
 * Sync invocations have no record until their result arrives (store.recordResult creates it);
 * an async result that overtakes its acceptance record is merged by store.createInvocation.
 */
export function createResultRecorder(
  store: Store,
  metrics: GatewayMetrics,
  events: EventHub,
): (event: ResultEvent) => Promise<void> {
  return async (event) => {
    if (event.type === 'started') {
      await store.markStarted(event.id, event.node, event.attempt, event.startedAt);
    } else {
      await store.recordResult(event.result);
      metrics.finished(event.result);
    }
    events.publish(resultEvent(event));
  };
}
