import type { Broker, InvocationDelivery, Subscription } from '../core/broker.ts';
import type { Executor } from '../core/executor.ts';
import type { Logger } from '../core/logger.ts';
import type { FunctionSpec } from '../core/messages.ts';
import type { QueueConsumers } from './queue-consumers.ts';

export interface NodeConsumersOptions {
  broker: Broker;
  executor: Executor;
  logger: Logger;
  /** Runtimes the executor can run; functions of any other runtime are left to other nodes. */
  runtimes?: readonly FunctionSpec['runtime'][];
  /** Instances started ahead of invocations when a function version becomes active. Default 1. */
  prewarm?: number;
  /** The queue triggers, followed beside the invocation queues. */
  queues: QueueConsumers;
  /** Runs one delivery of a function's invocation queue. */
  handle: (delivery: InvocationDelivery) => Promise<void>;
  /** Read when a change runs: nothing is subscribed while the node takes no work. */
  accepting: () => boolean;
  /** A function's prefetch here (its share of a cluster-wide cap); default its concurrency. */
  prefetchOf?: (spec: FunctionSpec) => number;
}

interface Consumer {
  concurrency: number;
  subscription: Subscription;
}

/**
 * The function queues one node consumes, with prefetch = each function's concurrency. Changes
 * are serialized per function, so control events arriving close together cannot race.
 */
export class NodeConsumers {
  readonly #options: NodeConsumersOptions;
  readonly #consumers = new Map<string, Consumer>();
  readonly #pending = new Map<string, Promise<void>>();
  /** Followed functions with a cluster-wide cap, whose prefetch changes with the cluster. */
  readonly #capped = new Map<string, FunctionSpec>();

  constructor(options: NodeConsumersOptions) {
    this.#options = options;
  }

  /** The functions consumed now, sorted. */
  names(): string[] {
    return [...this.#consumers.keys()].sort();
  }

  /** Invocations this node takes at once: the sum of its consumers' prefetch. */
  capacity(): number {
    let total = 0;
    for (const consumer of this.#consumers.values()) total += consumer.concurrency;
    return total;
  }

  /** Consumes the function's queue, re-subscribing when its prefetch changed. */
  follow(spec: FunctionSpec): Promise<void> {
    return this.#serialize(spec.name, async () => {
      const { logger } = this.#options;
      if (!this.#options.accepting()) return;
      if (!(this.#options.runtimes ?? ['isolate']).includes(spec.runtime)) {
        logger.warn({ fn: spec.name, runtime: spec.runtime }, 'runtime not supported on this node');
        return;
      }
      this.#prewarm(spec);
      await this.#options.queues.follow(spec).catch((error: unknown) => {
        logger.error({ fn: spec.name, err: error }, 'could not consume the queue trigger');
      });
      if (spec.clusterConcurrency === undefined) this.#capped.delete(spec.name);
      else this.#capped.set(spec.name, spec);
      await this.#subscribe(spec);
    });
  }

  /** Re-reads the prefetch of every capped function, after the cluster's shares changed. */
  refreshCapped(): void {
    for (const spec of this.#capped.values()) {
      void this.#serialize(spec.name, async () => {
        if (this.#options.accepting() && this.#capped.get(spec.name) === spec) {
          await this.#subscribe(spec);
        }
      });
    }
  }

  unfollow(name: string): Promise<void> {
    return this.#serialize(name, async () => {
      const current = this.#consumers.get(name);
      this.#consumers.delete(name);
      this.#capped.delete(name);
      await current?.subscription.cancel();
      await this.#options.queues.unfollow(name);
    });
  }

  /** After the changes under way, cancels every invocation consumer (not the queue triggers). */
  async cancelAll(): Promise<void> {
    await Promise.all([...this.#pending.values()]);
    const cancelling = [...this.#consumers.values()].map((c) => c.subscription.cancel());
    this.#consumers.clear();
    await Promise.allSettled(cancelling);
  }

  /** Subscribes with the function's prefetch, unless it has it already; none for prefetch 0. */
  async #subscribe(spec: FunctionSpec): Promise<void> {
    const prefetch = this.#options.prefetchOf?.(spec) ?? spec.concurrency;
    const current = this.#consumers.get(spec.name);
    if (current?.concurrency === prefetch) return;
    this.#consumers.delete(spec.name);
    if (current) await current.subscription.cancel();
    if (prefetch < 1) return;
    await this.#options.broker.declareFunction(spec.name);
    const subscription = await this.#options.broker.consume(spec.name, prefetch, (d) =>
      this.#options.handle(d),
    );
    this.#consumers.set(spec.name, { concurrency: prefetch, subscription });
  }

  /** In the background: the first invocation of the version finds an instance warm. */
  #prewarm(spec: FunctionSpec): void {
    const count = this.#options.prewarm ?? 1;
    if (count < 1) return;
    this.#options.executor.prewarm?.(spec, count).catch((error: unknown) => {
      this.#options.logger.warn(
        { fn: spec.name, version: spec.version, err: error },
        'prewarm failed',
      );
    });
  }

  #serialize(name: string, task: () => Promise<void>): Promise<void> {
    const previous = this.#pending.get(name) ?? Promise.resolve();
    const next = previous.then(task).catch((error: unknown) => {
      this.#options.logger.error({ fn: name, err: error }, 'could not change subscription');
    });
    this.#pending.set(name, next);
    void next.finally(() => {
      if (this.#pending.get(name) === next) this.#pending.delete(name);
    });
    return next;
  }
}
