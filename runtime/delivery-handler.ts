import type { InvocationDelivery } from '../core/broker.ts';
import type { ErrorData } from '../core/errors.ts';
import type { Executor } from '../core/executor.ts';
import type { Logger } from '../core/logger.ts';
import type { InvocationResult } from '../core/messages.ts';
import { refuseDelivery } from '../core/retry-policy.ts';
import { DEFAULT_BUNDLE_WAIT, runWaitingForBundle, type BundleWaitPolicy } from './bundle-wait.ts';
import type { Cancellations } from './cancellations.ts';
import type { ConcurrencyCaps } from './concurrency-cap.ts';
import type { DeliveryWindows } from './delivery-window.ts';
import { FieldsLogger } from './fields-logger.ts';
import type { ResultBatcher } from './result-batcher.ts';
import { isExpired, replyMayBeLate, runInvocation } from './run-invocation.ts';
import { reportStartedLate } from './started-report.ts';

export interface DeliveryHandlerOptions {
  executor: Executor;
  nodeId: string;
  logger: Logger;
  bundleWait?: BundleWaitPolicy;
  caps: ConcurrencyCaps;
  windows: DeliveryWindows;
  results: ResultBatcher;
  cancelled: Cancellations;
  /** Aborted when the node stops taking work: waiting invocations go back to the queue. */
  stopping: () => AbortSignal;
}

/**
 * What a node does with one delivery of an invocation: skips it (expired, cancelled), refuses it
 * (out of attempts or time), or runs it within the function's slots, then settles it: a sync
 * caller gets its reply, an async result is made durable before the ack (acks-late), and a failed
 * attempt goes on to its retry or to the dead letters.
 */
export class DeliveryHandler {
  readonly #options: DeliveryHandlerOptions;

  constructor(options: DeliveryHandlerOptions) {
    this.#options = options;
  }

  async handle(delivery: InvocationDelivery): Promise<void> {
    const { caps, windows, results, cancelled } = this.#options;
    const { message, attempt } = delivery;
    const log = new FieldsLogger(this.#options.logger, {
      fn: message.fn.name,
      id: message.id,
      callId: message.callId,
      attempt,
    });
    if (isExpired(message, Date.now())) {
      log.debug({}, 'dropping sync invocation whose caller gave up');
      delivery.ack();
      return;
    }
    // After a reconnect, what it missed meanwhile must be known first.
    const recall = cancelled.pending;
    if (recall !== undefined) await recall;
    if (cancelled.has(message.id)) {
      log.info({}, 'skipping a cancelled invocation');
      delivery.ack();
      return;
    }
    const refusal = refuseDelivery(message, attempt, Date.now());
    if (refusal !== undefined) return this.#refuse(delivery, refusal, log);
    try {
      // Held deliveries wait here for a slot; the attempt's deadline starts once one is free.
      const result = await caps.run(
        delivery,
        () => this.#run(delivery, log),
        () => undefined,
      );
      if (result === undefined) return delivery.requeue();
      if (message.mode === 'sync') return await this.#answer(delivery, result, log);
      const runMs = result.endedAt - result.startedAt;
      const confirming = performance.now();
      await results.publishResult({ type: 'finished', result });
      const confirmMs = performance.now() - confirming;
      windows.observe(message.fn.name, caps.slotsOf(message.fn), runMs, confirmMs);
      await settle(delivery, result);
      log.debug({ status: result.status, ms: runMs }, 'invocation finished');
    } catch (error) {
      // The result could not be made durable (broker down): another attempt will record it.
      log.warn({ err: error }, 'result not recorded; invocation goes back to the queue');
      delivery.requeue();
    }
  }

  /**
   * One attempt on the executor, within a slot; undefined when the node stops taking work first
   * (before the run, or while its bundle is unavailable): the delivery goes back to the queue.
   */
  async #run(delivery: InvocationDelivery, log: Logger): Promise<InvocationResult | undefined> {
    const { executor, nodeId, results } = this.#options;
    const { message, attempt } = delivery;
    const stopping = this.#options.stopping();
    if (stopping.aborted) return undefined;
    // Only an invocation still running after a while is reported as started (started-report.ts).
    const stopStartedReport =
      message.mode === 'async'
        ? reportStartedLate(
            results,
            {
              type: 'started',
              id: message.id,
              fn: message.fn.name,
              node: nodeId,
              attempt,
              startedAt: Date.now(),
            },
            log,
          )
        : undefined;
    try {
      return await runWaitingForBundle(message, () => runInvocation(delivery, executor, nodeId), {
        policy: this.#options.bundleWait ?? DEFAULT_BUNDLE_WAIT,
        signal: stopping,
        onWait: (waitMs, failed) =>
          log.warn({ waitMs, err: failed.error }, 'bundle unavailable; same attempt after a wait'),
      });
    } finally {
      stopStartedReport?.();
    }
  }

  /**
   * Replies to a sync caller and acks at once: the caller has its answer, so running the call
   * again after a crash would only repeat its side effects for nobody, and the delivery (a slot of
   * the function's prefetch) is free without waiting for anything else.
   *
   * The gateway that gets the reply records the result (gateway/invoker.ts). The result takes the
   * durable way too, on the results queue, only when that gateway may not get the reply: it could
   * not be sent, or it leaves so close to the caller's deadline that the caller may have given
   * up. A gateway that dies while its call runs leaves the call without a record (its caller got
   * an error, not the result).
   */
  async #answer(
    delivery: InvocationDelivery,
    result: InvocationResult,
    log: Logger,
  ): Promise<void> {
    const replied = await delivery.reply(result).then(
      () => true,
      (error: unknown) => {
        log.warn({ err: error }, 'reply not delivered');
        return false;
      },
    );
    delivery.ack();
    if (replied && !replyMayBeLate(delivery.message, Date.now())) return;
    await this.#options.results
      .publishResult({ type: 'finished', result, sync: true })
      .catch((error: unknown) => log.warn({ err: error }, 'sync result not recorded'));
  }

  /** Dead-letters a delivery that must not run (core/retry-policy.ts refuseDelivery). */
  async #refuse(delivery: InvocationDelivery, error: ErrorData, log: Logger): Promise<void> {
    try {
      await delivery.deadLetter({ error, node: this.#options.nodeId, ran: false });
      log.warn({ code: error.code }, `dead-lettered without running: ${error.message}`);
    } catch (failure) {
      log.warn({ err: failure }, 'could not dead-letter; invocation goes back to the queue');
      delivery.requeue();
    }
  }
}

/** Acks a final result; a failed async attempt goes on to its retry or to the dead letters. */
async function settle(delivery: InvocationDelivery, result: InvocationResult): Promise<void> {
  const { next, error } = result;
  if (next?.action === 'retry') await delivery.retry(next.at - Date.now());
  else if (next?.action === 'dead' && error !== undefined) {
    await delivery.deadLetter({ error, node: result.node, ran: true });
  } else delivery.ack();
}
