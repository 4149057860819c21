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
  /** Runs of a function this node allows at once (a share of a cap); default its concurrency. */
  slotsOf?: (spec: FunctionSpec) => number;
  /** Deliveries held beyond the slots (runtime/delivery-window.ts); default none. */
  sparesOf?: (spec: FunctionSpec) => number;
}

interface Consumer {
  /** Runs at once (the node's capacity for the function). */
  slots: number;
  prefetch: number;
  subscription: Subscription;
}

/**
 * The function queues one node consumes, each with a prefetch of its slots plus its spares
 * (runtime/delivery-window.ts; the agent runs no more than the slots). A function with a
 * cluster-wide cap gets no spares: what one node held beyond its share, the others could not
 * run, and the cap would go unused. Changes
 * are serialized per function, so control events arriving close together cannot race.
 */
export class NodeConsumers {
  readonly #options: NodeConsumersOptions;
  readonly #consumers = new Map<string, Consumer>();
  readonly #pending = new Map<string, Promise<void>>();
  /** Every followed function, by name, as last followed. */
  readonly #followed = new Map<string, FunctionSpec>();

  constructor(options: NodeConsumersOptions) {
    this.#options = options;
  }

  /** The functions consumed now, sorted. */
  names(): string[] {
    return [...this.#consumers.keys()].sort();
  }

  /** Invocations this node runs at once: the sum of its consumers' slots. */
  capacity(): number {
    let total = 0;
    for (const consumer of this.#consumers.values()) total += consumer.slots;
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
      this.#followed.set(spec.name, spec);
      await this.#subscribe(spec);
    });
  }

  /** Re-reads a followed function's prefetch, after its spares changed. */
  refresh(name: string): void {
    const spec = this.#followed.get(name);
    if (spec === undefined) return;
    void this.#serialize(name, async () => {
      if (this.#options.accepting() && this.#followed.get(name) === spec) {
        await this.#subscribe(spec);
      }
    });
  }

  /** Re-reads the prefetch of every capped function, after the cluster's shares changed. */
  refreshCapped(): void {
    for (const spec of this.#followed.values()) {
      if (spec.clusterConcurrency !== undefined) this.refresh(spec.name);
    }
  }

  unfollow(name: string): Promise<void> {
    return this.#serialize(name, async () => {
      const current = this.#consumers.get(name);
      this.#consumers.delete(name);
      this.#followed.delete(name);
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

  /** Subscribes with the function's window, unless it has it already; none for 0 slots. */
  async #subscribe(spec: FunctionSpec): Promise<void> {
    const slots = this.#options.slotsOf?.(spec) ?? spec.concurrency;
    const spares =
      spec.clusterConcurrency === undefined ? (this.#options.sparesOf?.(spec) ?? 0) : 0;
    const prefetch = slots < 1 ? 0 : slots + spares;
    const current = this.#consumers.get(spec.name);
    if (current?.prefetch === prefetch && current.slots === slots) return;
    this.#consumers.delete(spec.name);
    if (current) await current.subscription.cancel();
    if (slots < 1) return;
    await this.#options.broker.declareFunction(spec.name);
    const subscription = await this.#options.broker.consume(spec.name, prefetch, (d) =>
      this.#options.handle(d),
    );
    this.#consumers.set(spec.name, { slots, prefetch, subscription });
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
