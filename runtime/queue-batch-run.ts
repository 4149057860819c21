import type { Broker, QueueDelivery, QueueMessage } from '../core/broker.ts';
import type { ErrorData } from '../core/errors.ts';
import type { ExecutionOutcome, Executor } from '../core/executor.ts';
import { newCallId, newId } from '../core/ids.ts';
import type { Logger } from '../core/logger.ts';
import type { QueueTrigger } from '../core/manifest-queue.ts';
import type {
  DeadLetter,
  FunctionSpec,
  InvocationResult,
  QueueBatchEvent,
  QueueBatchOutcome,
  QueueDecision,
} from '../core/messages.ts';
import { isRetryable } from '../core/retry-policy.ts';
import { toMessageData } from './queue-message-data.ts';
import { publishSends } from './queue-sends.ts';

export interface QueueBatchDeps {
  broker: Broker;
  executor: Executor;
  nodeId: string;
  logger: Logger;
}

/** What became of a batch's messages: the invocation's recorded value. */
export interface QueueBatchSummary {
  queue: string;
  messages: number;
  acked: number;
  retried: number;
  deadLettered: number;
}

/** How each message is settled, from the run's outcome. */
interface Verdict {
  status: 'succeeded' | 'failed';
  error?: ErrorData;
  decisions: QueueDecision[];
}

/**
 * Runs one batch as one invocation (recorded with its logs like any other) and settles every
 * message: what the function decided explicitly first; the rest are acked when the handler
 * resolved and retried when it threw or the run failed (crash, timeout, out of memory).
 */
export async function runQueueBatch(
  deps: QueueBatchDeps,
  spec: FunctionSpec & { queue: QueueTrigger },
  deliveries: QueueDelivery[],
): Promise<void> {
  const { broker, executor, nodeId } = deps;
  const id = newId();
  const callId = newCallId();
  const log = deps.logger.child({ fn: spec.name, id, queue: spec.queue.queue });
  const messages = deliveries.map((d) => toMessageData(d.message));
  const event: QueueBatchEvent = { type: 'queue', queue: spec.queue.queue, messages };
  const startedAt = Date.now();
  const outcome = await executor.invoke(
    spec,
    { kind: 'event', data: event },
    // An isolate batch may wait for an isolate behind the function's other runs: its timeout
    // counts from then (runtime/latest-end.ts).
    {
      id,
      callId,
      attempt: 1,
      deadline: startedAt + spec.timeoutMs,
      ...(spec.runtime === 'isolate' ? { timeoutMs: spec.timeoutMs } : {}),
    },
  );
  const verdict = readVerdict(outcome, deliveries.length);
  const sent = await sendAll(broker, outcome, deliveries);
  // Sends that could not be published fail the batch: its messages go the way of a throw.
  if (sent !== undefined) {
    verdict.status = 'failed';
    verdict.error = sent;
    verdict.decisions = verdict.decisions.map(() => null);
  }
  const endedAt = Date.now();
  const summary: QueueBatchSummary = {
    queue: spec.queue.queue,
    messages: deliveries.length,
    acked: 0,
    retried: 0,
    deadLettered: 0,
  };
  await Promise.all(
    deliveries.map(async (delivery, index) => {
      try {
        const done = await settle(deps, spec, delivery, verdict, index, callId);
        summary[done]++;
      } catch (error) {
        // The retry or dead letter is not durable: the broker redelivers the message instead.
        log.warn({ err: error, message: delivery.message.id }, 'message not settled; requeued');
        delivery.requeue();
      }
    }),
  );
  const result: InvocationResult = {
    id,
    callId,
    fn: spec.name,
    version: spec.version,
    node: nodeId,
    attempt: 1,
    status: verdict.status,
    startedAt,
    endedAt,
    coldStart: outcome.coldStart,
    logs: outcome.logs,
    value: summary,
    trigger: 'queue',
    ...(outcome.cpuMs === undefined ? {} : { cpuMs: outcome.cpuMs }),
    ...(verdict.error === undefined ? {} : { error: verdict.error }),
  };
  // The record is for people (fn status, fn logs); the messages are settled already.
  await broker
    .publishResult({ type: 'finished', result })
    .catch((error: unknown) => log.warn({ err: error }, 'queue batch result not recorded'));
  log.debug({ ...summary, status: verdict.status }, 'queue batch finished');
}

/** Publishes the batch's ctx.queues sends before any of its messages is settled. */
async function sendAll(
  broker: Broker,
  outcome: ExecutionOutcome,
  deliveries: QueueDelivery[],
): Promise<ErrorData | undefined> {
  const sends = outcome.ok ? (outcome.value as Partial<QueueBatchOutcome> | undefined)?.sends : [];
  if (!Array.isArray(sends) || sends.length === 0) return undefined;
  if (broker.queues === undefined) {
    return { code: 'QUEUE_NOT_FOUND', message: 'queues.send: this broker has no queues' };
  }
  const hops = Math.max(0, ...deliveries.map((d) => d.message.hops));
  return publishSends(broker.queues, sends, hops);
}

function readVerdict(outcome: ExecutionOutcome, count: number): Verdict {
  const none: QueueDecision[] = Array.from({ length: count }, () => null);
  if (!outcome.ok) return { status: 'failed', error: outcome.error, decisions: none };
  const value = outcome.value as Partial<QueueBatchOutcome> | undefined;
  if (value?.type !== 'queue-outcome' || !Array.isArray(value.decisions)) {
    // An executor that ran the batch as a plain event (a container shim without queue()).
    return { status: 'succeeded', decisions: none };
  }
  const decisions = none.map((_, i) => value.decisions?.[i] ?? null);
  return value.error === undefined
    ? { status: 'succeeded', decisions }
    : { status: 'failed', error: value.error, decisions };
}

async function settle(
  deps: QueueBatchDeps,
  spec: FunctionSpec & { queue: QueueTrigger },
  delivery: QueueDelivery,
  verdict: Verdict,
  index: number,
  callId: string,
): Promise<'acked' | 'retried' | 'deadLettered'> {
  const decision = verdict.decisions[index] ?? null;
  const retry = decision?.action === 'retry' || (decision === null && verdict.error !== undefined);
  if (!retry) {
    delivery.ack();
    return 'acked';
  }
  const { message } = delivery;
  const { maxRetries, retryDelaySeconds } = spec.queue;
  const asked = decision?.action === 'retry';
  const error: ErrorData =
    !asked && verdict.error !== undefined
      ? verdict.error
      : { code: 'FUNCTION_ERROR', message: 'the function asked for a retry (msg.retry())' };
  if (message.attempts > maxRetries || (!asked && !isRetryable(error))) {
    await delivery.deadLetter(queueDeadLetter(spec, message, error, deps.nodeId, callId));
    return 'deadLettered';
  }
  const delaySeconds =
    decision?.action === 'retry' && decision.delaySeconds !== undefined
      ? decision.delaySeconds
      : retryDelaySeconds;
  await delivery.retry(Math.max(0, delaySeconds) * 1000);
  return 'retried';
}

/**
 * A message given up on, as a dead letter of its function: an async invocation of its own (with
 * the message as a one-message batch), so `fn dlq ls/show` list it with its error and a redrive
 * runs queue() again on it alone.
 */
export function queueDeadLetter(
  spec: FunctionSpec & { queue: QueueTrigger },
  message: QueueMessage,
  error: ErrorData,
  nodeId: string,
  callId: string,
): DeadLetter {
  const event: QueueBatchEvent = {
    type: 'queue',
    queue: spec.queue.queue,
    messages: [toMessageData(message)],
  };
  return {
    message: {
      id: newId(),
      callId,
      fn: spec,
      mode: 'async',
      payload: { kind: 'event', data: event },
      acceptedAt: message.timestamp,
    },
    attempt: message.attempts,
    error,
    node: nodeId,
    deadAt: Date.now(),
    // The letter's id is its own (the batch's result went to the batch's id): no result follows.
    ran: false,
  };
}
