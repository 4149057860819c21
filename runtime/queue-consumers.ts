import { isDeepStrictEqual } from 'node:util';
import type { QueueDelivery, Subscription } from '../core/broker.ts';
import type { Logger } from '../core/logger.ts';
import type { QueueTrigger } from '../core/manifest-queue.ts';
import type { FunctionSpec } from '../core/messages.ts';
import { newCallId } from '../core/ids.ts';
import { queueDeadLetter, runQueueBatch, type QueueBatchDeps } from './queue-batch-run.ts';
import { QueueBatcher } from './queue-batcher.ts';

interface Follower {
  trigger: QueueTrigger;
  /** The version batches run on: a deploy with the same trigger only swaps it. */
  spec: FunctionSpec & { queue: QueueTrigger };
  subscription: Subscription;
  batcher: QueueBatcher<QueueDelivery>;
}

/**
 * The queue triggers one node consumes: a subscription per queue-triggered function, straight
 * on its queue (no hop through the invocation queue), with prefetch batchSize x concurrency, its
 * deliveries grouped into batches that run as invocations (queue-batch-run.ts).
 */
export class QueueConsumers {
  readonly #deps: QueueBatchDeps;
  readonly #log: Logger;
  readonly #followers = new Map<string, Follower>();

  constructor(deps: QueueBatchDeps) {
    this.#deps = deps;
    this.#log = deps.logger.child({ component: 'queue-consumers' });
  }

  /** Batches running now, over every function. */
  get running(): number {
    let count = 0;
    for (const follower of this.#followers.values()) count += follower.batcher.running;
    return count;
  }

  /**
   * Consumes the function's queue when its spec has a trigger (with the spec's settings), stops
   * when it has none. Callers serialize calls per function.
   */
  async follow(spec: FunctionSpec): Promise<void> {
    const current = this.#followers.get(spec.name);
    const trigger = spec.queue;
    if (trigger === undefined) return this.unfollow(spec.name);
    if (current !== undefined && isDeepStrictEqual(current.trigger, trigger)) {
      current.spec = { ...spec, queue: trigger };
      return;
    }
    await this.unfollow(spec.name);
    const queues = this.#deps.broker.queues;
    if (queues === undefined) {
      this.#log.error({ fn: spec.name }, 'this broker has no queue triggers; not consuming');
      return;
    }
    const binding = { fn: spec.name, queue: trigger.queue, ...bindingOf(trigger) };
    const follower: Partial<Follower> = { trigger, spec: { ...spec, queue: trigger } };
    const batcher = new QueueBatcher<QueueDelivery>({
      batchSize: trigger.batchSize,
      maxWaitMs: trigger.maxWaitMs,
      concurrency: trigger.concurrency,
      // Read when the batch runs, so a batch runs the version active then.
      run: (batch) => runQueueBatch(this.#deps, (follower as Follower).spec, batch),
      onError: (error) => this.#log.error({ fn: spec.name, err: error }, 'queue batch failed'),
    });
    follower.batcher = batcher;
    await queues.declare(binding);
    follower.subscription = await queues.consume(
      binding,
      trigger.batchSize * trigger.concurrency,
      (delivery) => {
        if (batcher.state !== 'open') delivery.requeue();
        else if (delivery.message.attempts > trigger.maxRetries + 1) {
          this.#refuse((follower as Follower).spec, delivery);
        } else batcher.add(delivery);
      },
    );
    this.#followers.set(spec.name, follower as Follower);
    this.#log.info({ fn: spec.name, queue: trigger.queue }, 'consuming queue trigger');
  }

  /** Stops consuming the function's queue; resolves when its running batches are done. */
  async unfollow(name: string): Promise<void> {
    const follower = this.#followers.get(name);
    if (follower === undefined) return;
    this.#followers.delete(name);
    await follower.subscription.cancel();
    const left = await follower.batcher.stop();
    for (const delivery of left) delivery.requeue();
  }

  /**
   * Dead-letters a message delivered more often than its attempts allow without being settled:
   * each time, the node running it stopped (a poison message that crashes the runtime itself).
   */
  #refuse(spec: FunctionSpec & { queue: QueueTrigger }, delivery: QueueDelivery): void {
    const { attempts } = delivery.message;
    const error = {
      code: 'DELIVERY_LIMIT_EXCEEDED',
      message: `delivered ${attempts} times without being settled; maxRetries is ${spec.queue.maxRetries}`,
    } as const;
    const letter = queueDeadLetter(spec, delivery.message, error, this.#deps.nodeId, newCallId());
    delivery.deadLetter(letter).catch((failure: unknown) => {
      this.#log.warn({ fn: spec.name, err: failure }, 'could not dead-letter; requeued');
      delivery.requeue();
    });
  }

  /** Stops every trigger (draining): batches not started go back to their queues. */
  async stop(): Promise<void> {
    await Promise.all([...this.#followers.keys()].map((name) => this.unfollow(name)));
  }
}

function bindingOf(trigger: QueueTrigger): { exchange?: string; routingKey?: string } {
  return trigger.exchange === undefined
    ? {}
    : { exchange: trigger.exchange, routingKey: trigger.routingKey ?? '#' };
}
