import { Gauge, type Registry } from 'prom-client';
import type { Store } from '../core/store.ts';
import type { QueueDepths } from './queue-depths.ts';

/**
 * Adds `fjord_queue_depth{function}` and `fjord_dead_letters{function}` to the gateway's
 * registry, read at scrape time. Queue depths come from the broker (a sample shared with the
 * load shedder, at most its age old); dead letters from the store, where they wait for redrive.
 * Both are cluster-wide, so every gateway reports the same values: alert on `max`, not `sum`.
 */
export function registerQueueMetrics(registry: Registry, depths: QueueDepths, store: Store): void {
  new Gauge({
    name: 'fjord_queue_depth',
    help: 'Invocations waiting in the function queue on the broker (not yet taken by a node).',
    labelNames: ['function'],
    registers: [registry],
    async collect() {
      // A broker that cannot answer now still leaves the last sample, rather than failing the scrape.
      const sample = await depths.current().catch(() => depths.last);
      this.reset();
      for (const [fn, depth] of sample?.byFunction ?? []) this.set({ function: fn }, depth);
    },
  });
  new Gauge({
    name: 'fjord_dead_letters',
    help: 'Dead letters of the function waiting in its dead-letter queue (fn dlq).',
    labelNames: ['function'],
    registers: [registry],
    async collect() {
      const names = (await store.listFunctions()).map((record) => record.name);
      const counts = await Promise.all(names.map((name) => store.countDeadLetters(name)));
      this.reset();
      names.forEach((fn, i) => this.set({ function: fn }, counts[i] ?? 0));
    },
  });
}
