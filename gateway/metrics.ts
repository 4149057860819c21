import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Broker } from '../core/broker.ts';
import { triggerOfResult, type InvocationResult } from '../core/messages.ts';

/**
 * The gateway's Prometheus metrics, in a registry of its own (never prom-client's global one),
 * so several gateways in one process, as in tests, do not collide.
 *
 * Results are counted by the gateway that records them: with several gateways, sum over all of
 * them. A result redelivered after a failed store write is counted again; a sync result that
 * arrives both from its reply and on the results queue is counted once (gateway/result-recorder.ts).
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly #invocations: Counter<'function' | 'status' | 'trigger'>;
  readonly #duration: Histogram<'function'>;
  readonly #accepted: Counter<'function' | 'mode'>;

  constructor(broker: Broker) {
    const registers = [this.registry];
    this.#invocations = new Counter({
      name: 'fjord_invocations_total',
      help: 'Invocations finished, by function, final status of the attempt and trigger (http, event, queue).',
      labelNames: ['function', 'status', 'trigger'],
      registers,
    });
    this.#duration = new Histogram({
      name: 'fjord_invocation_duration_seconds',
      help: 'Execution time of invocation attempts on runtime nodes.',
      labelNames: ['function'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.#accepted = new Counter({
      name: 'fjord_invocations_accepted_total',
      help: 'Invocations handed to the broker by this gateway, by function and mode.',
      labelNames: ['function', 'mode'],
      registers,
    });
    new Gauge({
      name: 'fjord_broker_up',
      help: '1 while the broker connection is up, 0 otherwise.',
      registers,
      // Read at scrape time: nothing to keep in sync, nothing to unsubscribe.
      collect() {
        this.set(broker.state === 'up' ? 1 : 0);
      },
    });
  }

  accepted(fn: string, mode: 'sync' | 'async'): void {
    this.#accepted.inc({ function: fn, mode });
  }

  finished(result: InvocationResult): void {
    this.#invocations.inc({
      function: result.fn,
      status: result.status,
      trigger: triggerOfResult(result),
    });
    this.#duration.observe(
      { function: result.fn },
      Math.max(0, result.endedAt - result.startedAt) / 1000,
    );
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}
