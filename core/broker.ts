/**
 * The Broker port: how gateways hand invocations to runtime nodes and get results back.
 *
 * Adapters own their connections and channels; this contract deliberately exposes no connection,
 * channel or transaction type. Adapters: RabbitMQ (multi-node) and embedded (single process,
 * persisted in SQLite). One contract suite (test/contract/broker.contract.ts) runs against both.
 *
 * Delivery is at-least-once: a message whose consumer neither acked nor requeued it (because its
 * process died or its connection dropped) is delivered again, with `attempt` one higher.
 *
 * Failed async invocations run again through {@link InvocationDelivery.retry} (a delayed copy)
 * and end in {@link InvocationDelivery.deadLetter}; dead letters travel, like results, on one
 * durable queue that gateways consume and write to the store, where each function's dead-letter
 * queue can be listed, redriven and purged (a broker queue can be none of these by id).
 */
import { FjordError } from './errors.ts';
import type {
  ControlEvent,
  DeadLetter,
  InvocationMessage,
  InvocationResult,
  ResultEvent,
} from './messages.ts';

/**
 * - `connecting`: start() called, not yet usable.
 * - `up`: publishes can be confirmed now.
 * - `down`: connection lost; the adapter reconnects by itself and restores every subscription.
 * - `closed`: close() called; nothing works any more.
 */
export type BrokerState = 'connecting' | 'up' | 'down' | 'closed';

export interface Subscription {
  /** Stops delivering; in-flight deliveries may still be acked or requeued. */
  cancel(): Promise<void>;
}

export interface InvocationDelivery {
  message: InvocationMessage;
  /**
   * 1 on first delivery, incremented on every redelivery and every retry; a copy published by a
   * retry or a redrive continues from its `priorAttempts`.
   */
  attempt: number;
  /** Sends the result to a waiting sync caller; a no-op for async invocations. */
  reply(result: InvocationResult): Promise<void>;
  /** Removes the message for good. Call only after the result is durably recorded. */
  ack(): void;
  /** Puts the message back for another attempt (on this or another node). */
  requeue(): void;
  /**
   * Async invocations: makes the message deliverable again as attempt `attempt + 1`, no earlier
   * than `delayMs` from now (at most an hour: `MAX_RETRY_DELAY_MS` of core/retry-policy.ts),
   * then removes this delivery.
   * Resolves once the retry is durable; on a rejection the delivery is still unsettled.
   */
  retry(delayMs: number): Promise<void>;
  /**
   * Async invocations: hands the message, with why it failed, to the dead letters
   * ({@link Broker.consumeDeadLetters}), then removes this delivery. Resolves once durable.
   */
  deadLetter(reason: Pick<DeadLetter, 'error' | 'node' | 'ran'>): Promise<void>;
}

export type InvocationHandler = (delivery: InvocationDelivery) => Promise<void>;

/** Where a queue-triggered function's messages come from (fn.json `triggers.queue`). */
export interface QueueBinding {
  /** The function it feeds (retries and dead letters are its own). */
  fn: string;
  queue: string;
  /** Bound to this exchange with `routingKey` (declared as a topic exchange when missing). */
  exchange?: string;
  routingKey?: string;
}

/** A message as any AMQP client published it, plus what Fjord counts about it. */
export interface QueueMessage {
  /** The publisher's message id, or one the adapter generated (stable across retries). */
  id: string;
  /** Epoch ms the publisher stamped, or when the adapter first saw the message. */
  timestamp: number;
  contentType?: string;
  body: Uint8Array;
  /** The publisher's headers as strings (the adapter's own `x-` headers left out). */
  headers: Record<string, string>;
  /** 1 on first delivery; every redelivery and retry counts. */
  attempts: number;
  /** Queues it went through from functions' ctx.queues.send() (0 from any other publisher). */
  hops: number;
}

export interface QueueDelivery {
  message: QueueMessage;
  /** Removes the message for good. */
  ack(): void;
  /** Puts the message back at once (the node could not run it: draining, broker trouble). */
  requeue(): void;
  /**
   * Publishes a copy with `attempts + 1`, due no earlier than `delayMs` from now, then removes
   * this delivery. Resolves once the copy is durable; on a rejection the delivery is unsettled.
   */
  retry(delayMs: number): Promise<void>;
  /** Hands `letter` to the dead letters, then removes this delivery. Resolves once durable. */
  deadLetter(letter: DeadLetter): Promise<void>;
}

/** A message to publish into a queue by name. */
export interface OutgoingQueueMessage {
  body: Uint8Array;
  contentType?: string;
  headers?: Record<string, string>;
  /** Set when a function sends it: the hops of the message that function was handling, + 1. */
  hops?: number;
}

/**
 * Queue triggers: a function consumes a queue any client publishes to. Optional on the port, so
 * an adapter can be without them; the runtime refuses queue triggers then.
 */
export interface QueueTriggers {
  /** Declares the queue (durable, quorum) and its binding; idempotent. */
  declare(binding: QueueBinding): Promise<void>;
  /** Consumes the queue with at most `prefetch` unsettled deliveries; the handler settles each. */
  consume(
    binding: QueueBinding,
    prefetch: number,
    handler: (delivery: QueueDelivery) => void,
  ): Promise<Subscription>;
  /** Publishes durably into a queue; resolves with the message id once confirmed. */
  publish(queue: string, message: OutgoingQueueMessage): Promise<string>;
  /**
   * Publishes durably to an exchange, into every queue bound to it by a key that matches
   * `routingKey` (as the exchange's type matches), and resolves with the message id once
   * confirmed. Rejects with EXCHANGE_NOT_FOUND for an exchange that does not exist and
   * QUEUE_NOT_FOUND when no binding matches (the message would reach no queue).
   */
  publishToExchange(
    exchange: string,
    routingKey: string,
    message: OutgoingQueueMessage,
  ): Promise<string>;
}

export interface Broker {
  readonly state: BrokerState;
  /** Connects and declares the shared topology; resolves once the broker is usable. */
  start(): Promise<void>;
  /** Cancels subscriptions, then closes channels before the connection. */
  close(): Promise<void>;
  /** Subscribes to state changes (for readiness and metrics). */
  onStateChange(listener: (state: BrokerState) => void): void;

  /** Declares the function's invocation queue; idempotent. */
  declareFunction(name: string): Promise<void>;
  /** Deletes the function's queue with whatever it still holds. */
  deleteFunction(name: string): Promise<void>;

  /**
   * Enqueues an async invocation. Resolves only once the broker has made it durable; rejects
   * with BROKER_UNAVAILABLE otherwise (so the gateway never answers 202 for a lost message).
   */
  enqueue(message: InvocationMessage): Promise<void>;
  /**
   * Sends a sync invocation (`message.replyBy` set) and resolves with its result. The message
   * expires at `replyBy`, so nobody runs a request whose caller has given up; rejects with
   * INVOCATION_TIMEOUT then, or BROKER_UNAVAILABLE when it cannot be sent.
   */
  call(message: InvocationMessage): Promise<InvocationResult>;
  /** Consumes a function's invocations, at most `prefetch` unsettled at once on this consumer. */
  consume(fn: string, prefetch: number, handler: InvocationHandler): Promise<Subscription>;
  /**
   * How many invocations of the function wait in its queue right now: ready to deliver, not yet
   * taken by a node (in-flight deliveries and delayed retries are not counted). 0 for a function
   * without a queue. Rejects with BROKER_UNAVAILABLE when the broker cannot tell.
   */
  queueDepth(fn: string): Promise<number>;

  /** Durably publishes a progress report or result; resolves once confirmed. */
  publishResult(event: ResultEvent): Promise<void>;
  /**
   * Durably publishes several progress reports and results as one message (a burst: one
   * publish, one confirm, one delivery and one ack for all of them); resolves once confirmed.
   * One event goes in the single form of {@link publishResult}, which gateways of every
   * version read; a burst of more needs gateways that read bursts (upgrade gateways first).
   * `body`, when given, is that message body as JSON (`resultsBody(events)`), which the caller
   * encoded already: an adapter may send it instead of encoding the events again.
   */
  publishResults(events: readonly ResultEvent[], body?: string): Promise<void>;
  /**
   * Consumes results from every node. An event is acked when the handler resolves and
   * delivered again when it throws, so a handler must be idempotent.
   */
  consumeResults(handler: (event: ResultEvent) => Promise<void>): Promise<Subscription>;
  /**
   * Consumes results as they were published: a message in the single form comes as one event,
   * a burst as all of its events, in their order. The message is acked when the handler
   * resolves and delivered again, whole, when it throws, so the handler must be idempotent.
   */
  consumeResultBursts(
    handler: (events: readonly ResultEvent[]) => Promise<void>,
  ): Promise<Subscription>;

  /**
   * Consumes the dead letters of every function, acked when the handler resolves and delivered
   * again when it throws (so the handler must be idempotent), as results are.
   */
  consumeDeadLetters(handler: (letter: DeadLetter) => Promise<void>): Promise<Subscription>;

  /** Announces an event to every gateway and node subscribed right now (not durable). */
  announce(event: ControlEvent): Promise<void>;
  onControl(handler: (event: ControlEvent) => void): Promise<Subscription>;

  /** Queue triggers, when the adapter has them. */
  readonly queues?: QueueTriggers;
}

/** Refuses a prefetch that is not a positive integer: every consume of every adapter checks it. */
export function assertPrefetch(prefetch: number): void {
  if (!Number.isInteger(prefetch) || prefetch < 1) {
    throw new FjordError('BAD_REQUEST', `prefetch must be a positive integer, got ${prefetch}`);
  }
}
